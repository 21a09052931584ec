using Fidamia.Core.Imaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fidamia.Imaging;

public static class ImagingHostingExtensions
{
    /// <summary>The photo decoder (JPEG, PNG and WebP through ImageSharp) and its limits from the "Imaging" section.</summary>
    public static IHostApplicationBuilder AddFidamiaImaging(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ImagingOptions>()
            .Bind(builder.Configuration.GetSection(ImagingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IPhotoDecoder, ImageSharpPhotoDecoder>();
        return builder;
    }
}
