using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;

namespace Fidamia.Imaging;

internal enum PhotoFormat
{
    Jpeg,
    Png,
    Webp,
}

internal static class PhotoFormats
{
    /// <summary>Maps what ImageSharp detected from the content; null for anything the three modules do not claim.</summary>
    public static PhotoFormat? FromImageSharp(IImageFormat? format) => format switch
    {
        JpegFormat => PhotoFormat.Jpeg,
        PngFormat => PhotoFormat.Png,
        WebpFormat => PhotoFormat.Webp,
        _ => null,
    };

    /// <summary>The name <see cref="Core.Imaging.PhotoMetadata.Format"/> carries.</summary>
    public static string Name(this PhotoFormat format) => format switch
    {
        PhotoFormat.Jpeg => "jpeg",
        PhotoFormat.Png => "png",
        PhotoFormat.Webp => "webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
