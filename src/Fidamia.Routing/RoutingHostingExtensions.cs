using Fidamia.Core.Routing;
using Fidamia.Core.Taxonomy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Routing;

public static class RoutingHostingExtensions
{
    /// <summary>
    /// Routes by the rules file (<see cref="RoutingOptions"/>, section <c>Routing</c>) instead of Core's family and
    /// territory router, whichever of the two is registered first. The rules are loaded at start-up: a missing file
    /// or invalid rules stop it. The file is then watched and reloaded on change.
    /// </summary>
    public static IHostApplicationBuilder AddFidamiaRouting(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RoutingOptions>()
            .Bind(builder.Configuration.GetSection(RoutingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>());
        services.AddSingleton(sp => new RulesRouter(
            sp.GetRequiredService<Taxonomy>(),
            sp.GetRequiredService<IOptions<RoutingOptions>>().Value.ResolveRulesPath(),
            sp.GetRequiredService<ILogger<RulesRouter>>(),
            sp.GetService<TimeProvider>()));
        // Replace, not TryAdd: Core's TryAdd default may already be there.
        services.Replace(ServiceDescriptor.Singleton<IQueueRouter>(sp => sp.GetRequiredService<RulesRouter>()));
        services.AddHostedService<RoutingRulesWatcher>();
        return builder;
    }
}

/// <summary>
/// Builds the router when the host starts, so invalid rules stop start-up rather than the first report,
/// and watches the file while the host runs.
/// </summary>
internal sealed class RoutingRulesWatcher(RulesRouter router, IOptions<RoutingOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.WatchForChanges)
        {
            router.StartWatching(TimeSpan.FromMilliseconds(options.Value.ReloadDebounceMs));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        router.StopWatching();
        return Task.CompletedTask;
    }
}
