using Fidamia.Imaging;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

public sealed class PhotoCompletenessTests
{
    [Fact]
    public void IsCompleteJpeg_WholeFileWithTrailingBytes_IsTrue()
    {
        using var image = Noise(32, 32, seed: 20);
        var bytes = Encode(image, new JpegEncoder());

        Assert.True(PhotoCompleteness.IsCompleteJpeg(bytes));
        Assert.True(PhotoCompleteness.IsCompleteJpeg([.. bytes, 0x00, 0x12, 0xFF]));
    }

    [Fact]
    public void IsCompleteJpeg_EndMarkerOnlyInsideAnEarlierSegment_IsFalse()
    {
        // An APP1 segment that holds FF D9 (as an EXIF thumbnail does), then the real image cut short.
        using var image = Noise(32, 32, seed: 21);
        var bytes = Encode(image, new JpegEncoder());
        byte[] app1 = [0xFF, 0xE1, 0x00, 0x08, 0xFF, 0xD8, 0x00, 0x00, 0xFF, 0xD9];
        byte[] withThumbnail = [.. bytes[..2], .. app1, .. bytes[2..]];

        Assert.True(PhotoCompleteness.IsCompleteJpeg(withThumbnail));
        Assert.False(PhotoCompleteness.IsCompleteJpeg(withThumbnail.AsSpan(..^2)));
        Assert.False(PhotoCompleteness.IsCompleteJpeg(Truncate(withThumbnail, 0.7)));
    }

    [Fact]
    public void IsCompletePng_WholeOrCut_TellsThemApart()
    {
        using var image = Noise(32, 32, seed: 22);
        var bytes = Encode(image, new PngEncoder());

        Assert.True(PhotoCompleteness.IsCompletePng(bytes));
        Assert.True(PhotoCompleteness.IsCompletePng([.. bytes, 0x01, 0x02]));
        Assert.False(PhotoCompleteness.IsCompletePng(bytes.AsSpan(..^1)));
        Assert.False(PhotoCompleteness.IsCompletePng(Truncate(bytes, 0.5)));
    }

    [Fact]
    public void IsCompleteWebp_WholeOrCut_TellsThemApart()
    {
        using var image = Noise(32, 32, seed: 23);
        var bytes = Encode(image, new WebpEncoder());

        Assert.True(PhotoCompleteness.IsCompleteWebp(bytes));
        Assert.False(PhotoCompleteness.IsCompleteWebp(bytes.AsSpan(..^1)));
    }
}
