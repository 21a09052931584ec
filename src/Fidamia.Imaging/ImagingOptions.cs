using System.ComponentModel.DataAnnotations;

namespace Fidamia.Imaging;

/// <summary>Limits on the photos the decoder accepts, checked before any pixel is allocated.</summary>
public sealed class ImagingOptions
{
    public const string SectionName = "Imaging";

    /// <summary>Largest accepted photo, in bytes. A single buffer cannot exceed <see cref="int.MaxValue"/> bytes anyway.</summary>
    [Range(1.0, int.MaxValue)]
    public long MaxPhotoBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>
    /// Largest accepted width x height. Decoding costs at least 3 bytes a pixel (several times that inside the
    /// JPEG decoder), so the upper bound keeps a misconfiguration from reopening decompression bombs.
    /// </summary>
    [Range(1.0, 500_000_000.0)]
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>
    /// <c>skia</c> (native, scaled decoding; falls back to ImageSharp where the native library cannot load) or
    /// <c>imagesharp</c> (pure managed).
    /// </summary>
    [AllowedValues(SkiaDecoder, ImageSharpDecoder)]
    public string Decoder { get; set; } = SkiaDecoder;

    public const string SkiaDecoder = "skia";

    public const string ImageSharpDecoder = "imagesharp";
}
