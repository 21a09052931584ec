using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;

namespace Fidamia.Imaging;

/// <summary>
/// The only ImageSharp <see cref="Configuration"/> the service decodes with. ImageSharp 2.1.13 still carries unfixed
/// CVEs in its TIFF and ICC code, and <see cref="Configuration.Default"/> registers TIFF, GIF, BMP, TGA and PBM too;
/// a configuration built from the JPEG, PNG and WebP modules alone makes every other decoder unreachable, because
/// format detection only consults the registered modules.
/// </summary>
public static class ImagingConfiguration
{
    /// <param name="memoryAllocator">Replaces the process-wide pooled allocator (tests pass a counting one).</param>
    public static Configuration Create(MemoryAllocator? memoryAllocator = null)
    {
        var configuration = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new WebpConfigurationModule());
        if (memoryAllocator is not null)
        {
            configuration.MemoryAllocator = memoryAllocator;
        }

        return configuration;
    }
}
