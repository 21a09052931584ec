using Fidamia.Core.Location;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Gis;

public static partial class GisHostingExtensions
{
    /// <summary>
    /// The communes layer (<see cref="GisOptions"/>, section <c>Gis</c>) as the service's <see cref="ILocator"/>.
    /// A configured path that does not exist stops start-up; the layer is loaded once, when first resolved.
    /// </summary>
    public static IHostApplicationBuilder AddFidamiaGis(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GisOptions>()
            .Bind(builder.Configuration.GetSection(GisOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GisOptions>, GisOptionsValidator>());
        services.AddSingleton(sp =>
        {
            var path = sp.GetRequiredService<IOptions<GisOptions>>().Value.ResolveCommunesPath();
            var started = TimeProvider.System.GetTimestamp();
            var layer = new CommuneLayer(path);
            var logger = sp.GetRequiredService<ILogger<CommuneLayer>>();
            LogCommunesLoaded(logger, layer.SourcePath, layer.Count, layer.IsDemo ? "demo" : "full",
                TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
            if (layer.IsDemo)
            {
                LogDemoLayer(logger, GisOptions.CommunesPathKey);
            }

            return layer;
        });
        services.AddSingleton<ILocator>(sp => sp.GetRequiredService<CommuneLayer>());
        return builder;
    }

    // Never log a report's coordinates: only the layer itself is described here.
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Commune layer {Path} loaded: {Features} features ({Kind} layer) in {ElapsedMs:0.0} ms")]
    private static partial void LogCommunesLoaded(ILogger logger, string path, int features, string kind, double elapsedMs);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning,
        Message = "The commune layer is the coarse demo layer (six territories, kilometres off): NOT for production; give --{Key}=FILE")]
    private static partial void LogDemoLayer(ILogger logger, string key);
}
