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
/// <para>
/// Every decoder ignores metadata, in Identify and in Decode alike: ImageSharp 2.1.13 inflates PNG zTXt and compressed
/// iTXt chunks without any limit, grows JPEG ICC, XMP and EXIF profiles by copying them whole for each APP segment
/// (quadratic in the segments' size), and parses JPEG and WebP ICC profiles with the ICC code that carries the CVEs
/// (measured in the README). Ignoring metadata skips all of that, EXIF included, and nothing else (JFIF
/// and Adobe segments, which the pixels depend on, are still read); the service reads its EXIF itself, through
/// <see cref="PhotoMetadataBlocks"/>.
/// </para>
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
        configuration.ImageFormatsManager.SetDecoder(JpegFormat.Instance, new JpegDecoder { IgnoreMetadata = true });
        configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        configuration.ImageFormatsManager.SetDecoder(WebpFormat.Instance, new WebpDecoder { IgnoreMetadata = true });
        if (memoryAllocator is not null)
        {
            configuration.MemoryAllocator = memoryAllocator;
        }

        return configuration;
    }
}
