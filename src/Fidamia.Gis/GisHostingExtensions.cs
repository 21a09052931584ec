using Fidamia.Core.Location;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Gis;

public static class GisHostingExtensions
{
    /// <summary>
    /// The GIS layers (<see cref="GisOptions"/>, section <c>Gis</c>) as the service's <see cref="ILocator"/>.
    /// A configuration that cannot load stops start-up, naming the key; layers load when the locator is first
    /// resolved, and file layers are watched and reloaded while the host runs.
    /// </summary>
    public static IHostApplicationBuilder AddFidamiaGis(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<GisOptions>()
            .Bind(builder.Configuration.GetSection(GisOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GisOptions>, GisOptionsValidator>());
        services.AddSingleton(sp => new GisLocator(sp.GetRequiredService<IOptions<GisOptions>>().Value, sp.GetRequiredService<ILogger<GisLocator>>()));
        services.AddSingleton<ILocator>(sp => sp.GetRequiredService<GisLocator>());
        services.AddHostedService<GisWatchService>();
        return builder;
    }
}

/// <summary>Loads the layers at start (so a broken layer stops start-up) and watches their files until stop.</summary>
internal sealed class GisWatchService(GisLocator locator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        locator.StartWatching();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        locator.StopWatching();
        return Task.CompletedTask;
    }
}
