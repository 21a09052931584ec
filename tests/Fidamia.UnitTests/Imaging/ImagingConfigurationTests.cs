using Fidamia.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

public sealed class ImagingConfigurationTests
{
    [Fact]
    public void Create_Default_RegistersOnlyJpegPngAndWebp()
    {
        var configuration = ImagingConfiguration.Create();

        Assert.Equal(["JPEG", "PNG", "Webp"], configuration.ImageFormats.Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Create_Default_CannotDecodeGifThatImageSharpDefaultCan()
    {
        using var image = Noise(8, 8, seed: 30);
        var gif = Encode(image, new GifEncoder());
        using (var decodedByDefault = Image.Load<Rgb24>(Configuration.Default, gif))
        {
            Assert.Equal(8, decodedByDefault.Width);
        }

        var configuration = ImagingConfiguration.Create();

        Assert.Null(Image.Identify(configuration, gif, out var format));
        Assert.Null(format);
        Assert.Throws<UnknownImageFormatException>(() => Image.Load<Rgb24>(configuration, gif));
    }

    [Fact]
    public void Create_Default_EveryDecoderIgnoresMetadata()
    {
        // Text, ICC and XMP are then never inflated or parsed by ImageSharp; EXIF is read by PhotoMetadataBlocks.
        var formats = ImagingConfiguration.Create().ImageFormatsManager;

        Assert.True(Assert.IsType<JpegDecoder>(formats.FindDecoder(JpegFormat.Instance)).IgnoreMetadata);
        Assert.True(Assert.IsType<PngDecoder>(formats.FindDecoder(PngFormat.Instance)).IgnoreMetadata);
        Assert.True(Assert.IsType<WebpDecoder>(formats.FindDecoder(WebpFormat.Instance)).IgnoreMetadata);
    }

    [Fact]
    public void Create_WithAllocator_UsesIt()
    {
        var allocator = new CountingMemoryAllocator();

        var configuration = ImagingConfiguration.Create(allocator);

        Assert.Same(allocator, configuration.MemoryAllocator);
    }
}
