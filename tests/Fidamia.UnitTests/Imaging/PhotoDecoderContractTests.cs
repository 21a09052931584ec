using Fidamia.Core.Imaging;
using Fidamia.Imaging;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

/// <summary>What every photo decoder must do alike, whichever library decodes.</summary>
public sealed class PhotoDecoderContractTests
{
    public static TheoryData<string> Decoders => [ImagingOptions.ImageSharpDecoder, "skia"];

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decode_JpegWithOrientation6_RotatesToDisplayedSizeAndPixels(string decoder)
    {
        // Stored 4 x 2 with a red top-left pixel; orientation 6 means "rotate 90 degrees clockwise to display".
        using var image = new Image<Rgb24>(4, 2, new Rgb24(0, 0, 0));
        image[0, 0] = new Rgb24(255, 0, 0);
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        var bytes = Encode(image, new JpegEncoder { Quality = 100 });

        using var photo = Create(decoder).Decode(bytes, RawSpec(224, 224), CancellationToken.None);

        Assert.Equal(2, photo.Metadata.Width);
        Assert.Equal(4, photo.Metadata.Height);
        Assert.Equal(6, photo.Metadata.Orientation); // kept for the stored copy, which loses its EXIF
        var spec = RawSpec(2, 4);
        var tensor = new float[spec.Length];
        photo.WriteTensor(spec, tensor);

        // After a clockwise turn the stored top-left corner is the displayed top-right (x = 1, y = 0).
        Assert.InRange(tensor[1], 200f, 255f);
        Assert.InRange(tensor[0], 0f, 60f);
        Assert.InRange(tensor[(3 * 2) + 1], 0f, 60f);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Precheck_WithoutDecoding_TellsSizeAndFormatBySignatureAndPassesAGoodPhoto(string decoder)
    {
        using var image = Noise(8, 8, seed: 1);
        var jpeg = Encode(image, new JpegEncoder());
        var gif = Encode(image, new SixLabors.ImageSharp.Formats.Gif.GifEncoder());
        var small = Create(decoder, new ImagingOptions { MaxPhotoBytes = jpeg.Length - 1 });

        Assert.Null(Create(decoder).Precheck(jpeg));
        Assert.Equal(("photo", "is not a JPEG, PNG or WebP image"), Describe(Create(decoder).Precheck(gif)));
        Assert.Equal(("photo", "is empty"), Describe(Create(decoder).Precheck([])));
        Assert.StartsWith("is ", small.Precheck(jpeg)!.Description, StringComparison.Ordinal);
        Assert.Contains("the limit is", small.Precheck(jpeg)!.Description, StringComparison.Ordinal);
    }

    private static (string, string)? Describe(Fidamia.Core.Errors.FieldViolation? violation) =>
        violation is null ? null : (violation.Field, violation.Description);

    private static IPhotoDecoder Create(string decoder, ImagingOptions? options = null) => decoder == ImagingOptions.ImageSharpDecoder
        ? Decoder(options)
        : new SkiaPhotoDecoder(Options.Create(options ?? new ImagingOptions()));
}
