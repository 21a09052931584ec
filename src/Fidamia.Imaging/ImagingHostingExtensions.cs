using Fidamia.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Imaging;

public static partial class ImagingHostingExtensions
{
    /// <summary>The photo decoder (JPEG, PNG and WebP through Skia or ImageSharp) and its limits from the "Imaging" section.</summary>
    public static IHostApplicationBuilder AddFidamiaImaging(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ImagingOptions>()
            .Bind(builder.Configuration.GetSection(ImagingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<Core.Storage.IPhotoMetadataStripper, ImagingPhotoStripper>();
        builder.Services.AddSingleton<IPhotoRenderer, ImageSharpPhotoRenderer>();
        builder.Services.AddSingleton(sp =>
            CreateDecoder(sp.GetRequiredService<IOptions<ImagingOptions>>(), sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(ImagingHostingExtensions).FullName!)));
        return builder;
    }

    /// <summary>
    /// The one factory of photo decoders, for the service and the tools alike: Skia's scaled decode where its native
    /// library loads, unless ImageSharp is configured; ImageSharp otherwise, said in the log.
    /// </summary>
    public static IPhotoDecoder CreateDecoder(IOptions<ImagingOptions> options, ILogger? logger = null)
    {
        if (options.Value.Decoder == ImagingOptions.ImageSharpDecoder)
        {
            return new ImageSharpPhotoDecoder(options);
        }

        if (SkiaPhotoDecoder.IsSupported)
        {
            return new SkiaPhotoDecoder(options);
        }

        if (logger is not null)
        {
            LogSkiaUnavailable(logger);
        }

        return new ImageSharpPhotoDecoder(options);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "The native Skia library does not load here; photos are decoded with ImageSharp instead")]
    private static partial void LogSkiaUnavailable(ILogger logger);
}
