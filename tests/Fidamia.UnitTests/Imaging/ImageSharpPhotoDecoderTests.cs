using Fidamia.Core.Errors;
using Fidamia.Imaging;
using Fidamia.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

public sealed class ImageSharpPhotoDecoderTests
{
    private static readonly Fidamia.Core.Imaging.TensorSpec Target = RawSpec(224, 224);

    [SharedDataFact]
    public void Decode_LeuvenPhoto_ReadsExifLocationTimeFormatAndSize()
    {
        var bytes = File.ReadAllBytes(SharedData.Photo("leuvenA.jpg"));

        using var photo = Decoder().Decode(bytes, Target, CancellationToken.None);

        var metadata = photo.Metadata;
        Assert.Equal("jpeg", metadata.Format);
        Assert.Equal(751, metadata.Width);
        Assert.Equal(563, metadata.Height);
        var location = Assert.NotNull(metadata.ExifLocation);
        Assert.Equal(50.8715278, location.Lat, 1e-6);
        Assert.Equal(4.6969833, location.Lon, 1e-6);
        Assert.Equal(new DateTimeOffset(2019, 4, 14, 13, 46, 10, TimeSpan.Zero), metadata.TakenAt);
    }

    [SharedDataFact]
    public void Decode_EverySharedPhoto_DecodesAndWritesFiniteTensor()
    {
        var decoder = Decoder();
        var tensor = new float[Target.Length];
        var files = Directory.GetFiles(SharedData.PhotosDirectory).Where(f => f.EndsWith(".jpg", StringComparison.Ordinal) || f.EndsWith(".png", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(files);

        foreach (var file in files)
        {
            using var photo = decoder.Decode(File.ReadAllBytes(file), Target, CancellationToken.None);
            Array.Fill(tensor, float.NaN);
            photo.WriteTensor(Target, tensor);

            Assert.Equal(Path.GetExtension(file) == ".jpg" ? "jpeg" : "png", photo.Metadata.Format);
            Assert.True(tensor.All(v => v is >= 0f and <= 255f), Path.GetFileName(file) + " wrote a value outside 0..255");
        }
    }

    [Fact]
    public void Decode_JpegWithSouthWestGps_ReadsNegativeDecimalDegreesAndTime()
    {
        using var image = new Image<Rgb24>(8, 8);
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(33, 1), new Rational(51, 1), new Rational(3120, 100)]);
        exif.SetValue(ExifTag.GPSLatitudeRef, "S");
        exif.SetValue(ExifTag.GPSLongitude, [new Rational(151, 1), new Rational(12, 1), new Rational(40, 1)]);
        exif.SetValue(ExifTag.GPSLongitudeRef, "W");
        exif.SetValue(ExifTag.DateTimeOriginal, "2021:12:31 23:59:58");
        image.Metadata.ExifProfile = exif;
        var bytes = Encode(image, new JpegEncoder());

        using var photo = Decoder().Decode(bytes, Target, CancellationToken.None);

        var location = Assert.NotNull(photo.Metadata.ExifLocation);
        Assert.Equal(-(33 + (51 / 60.0) + (31.2 / 3600)), location.Lat, 1e-9);
        Assert.Equal(-(151 + (12 / 60.0) + (40 / 3600.0)), location.Lon, 1e-9);
        Assert.Equal(new DateTimeOffset(2021, 12, 31, 23, 59, 58, TimeSpan.Zero), photo.Metadata.TakenAt);
    }

    [Theory]
    [InlineData(45u, 0u, "N")] // zero denominator
    [InlineData(95u, 1u, "N")] // beyond the pole
    [InlineData(45u, 1u, "X")] // unknown hemisphere
    [InlineData(45u, 1u, null)] // no hemisphere
    public void Decode_InvalidGps_HasNoLocation(uint degrees, uint denominator, string? reference)
    {
        using var image = new Image<Rgb24>(8, 8);
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(degrees, denominator), new Rational(0, 1), new Rational(0, 1)]);
        if (reference is not null)
        {
            exif.SetValue(ExifTag.GPSLatitudeRef, reference);
        }

        exif.SetValue(ExifTag.GPSLongitude, [new Rational(4, 1), new Rational(0, 1), new Rational(0, 1)]);
        exif.SetValue(ExifTag.GPSLongitudeRef, "E");
        exif.SetValue(ExifTag.DateTimeOriginal, "0000:00:00 00:00:00");
        image.Metadata.ExifProfile = exif;

        using var photo = Decoder().Decode(Encode(image, new JpegEncoder()), Target, CancellationToken.None);

        Assert.Null(photo.Metadata.ExifLocation);
        Assert.Null(photo.Metadata.TakenAt);
    }

    [Fact]
    public void Decode_PngAndWebp_ReportTheirFormat()
    {
        using var image = Noise(16, 12, seed: 1);

        using var png = Decoder().Decode(Encode(image, new PngEncoder()), Target, CancellationToken.None);
        using var webp = Decoder().Decode(Encode(image, new WebpEncoder()), Target, CancellationToken.None);

        Assert.Equal(("png", 16, 12), (png.Metadata.Format, png.Metadata.Width, png.Metadata.Height));
        Assert.Equal(("webp", 16, 12), (webp.Metadata.Format, webp.Metadata.Width, webp.Metadata.Height));
        Assert.Null(png.Metadata.ExifLocation);
        Assert.Null(png.Metadata.TakenAt);
    }

    [Fact]
    public void Decode_MemoryNotBackedByArrayOrAtAnOffset_DecodesTheSamePhoto()
    {
        using var image = Noise(16, 12, seed: 2);
        var bytes = Encode(image, new PngEncoder());
        var padded = new byte[bytes.Length + 7];
        bytes.CopyTo(padded, 7);
        using var nonArray = new NonArrayMemory(bytes);

        using var fromOffset = Decoder().Decode(padded.AsMemory(7), Target, CancellationToken.None);
        using var fromNonArray = Decoder().Decode(nonArray.Memory, Target, CancellationToken.None);

        Assert.Equal(16, fromOffset.Metadata.Width);
        Assert.Equal(16, fromNonArray.Metadata.Width);
    }

    public static TheoryData<string> ForeignFormats => ["gif", "tiff", "bmp"];

    [Theory]
    [MemberData(nameof(ForeignFormats))]
    public void Decode_GifTiffOrBmp_IsRefusedAsNotJpegPngOrWebp(string format)
    {
        using var image = Noise(16, 16, seed: 3);
        var bytes = Encode(image, format switch
        {
            "gif" => new GifEncoder(),
            "tiff" => new TiffEncoder(),
            _ => new BmpEncoder(),
        });

        AssertRefused(() => Decoder().Decode(bytes, Target, CancellationToken.None), "is not a JPEG, PNG or WebP image");
    }

    [Fact]
    public void Decode_RandomBytes_IsRefused()
    {
        var bytes = new byte[4096];
        new Random(4).NextBytes(bytes);

        AssertRefused(() => Decoder().Decode(bytes, Target, CancellationToken.None), "is not a JPEG, PNG or WebP image");
    }

    [Fact]
    public void Decode_Empty_IsRefused()
    {
        AssertRefused(() => Decoder().Decode(ReadOnlyMemory<byte>.Empty, Target, CancellationToken.None), "is empty");
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 0x00, 0x10, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38 })]
    public void Decode_SignatureFollowedByRandomBytes_IsRefusedAsInvalidReport(byte[] signature)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var bytes = new byte[2048];
            new Random(seed).NextBytes(bytes);
            signature.CopyTo(bytes, 0);

            AssertRefused(() => Decoder().Decode(bytes, Target, CancellationToken.None));
        }
    }

    [Fact]
    public void Decode_CorruptedBytesOfValidPhotos_NeverThrowAnythingButInvalidReport()
    {
        using var image = Noise(24, 16, seed: 5);
        var originals = new[] { Encode(image, new JpegEncoder()), Encode(image, new PngEncoder()), Encode(image, new WebpEncoder()) };
        var decoder = Decoder();
        var spec = RawSpec(8, 8);
        var tensor = new float[spec.Length];
        var random = new Random(6);
        var decoded = 0;
        var refused = 0;

        foreach (var original in originals)
        {
            for (var round = 0; round < 150; round++)
            {
                var bytes = (byte[])original.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                try
                {
                    using var photo = decoder.Decode(bytes, spec, CancellationToken.None);
                    photo.WriteTensor(spec, tensor);
                    decoded++;
                }
                catch (InvalidReportException ex)
                {
                    Assert.Equal("photo", Assert.Single(ex.Violations).Field);
                    refused++;
                }
            }
        }

        Assert.Equal(450, decoded + refused);
        Assert.True(refused > 0, "no corruption was refused");
    }

    [SharedDataFact]
    public void Decode_LeuvenJpegCutAt60Percent_IsRefusedAsTruncated()
    {
        var bytes = Truncate(File.ReadAllBytes(SharedData.Photo("leuvenA.jpg")), 0.6);

        AssertRefused(() => Decoder().Decode(bytes, Target, CancellationToken.None), "truncated");
    }

    [SharedDataFact]
    public void Decode_GrafPngCutAt60Percent_IsRefusedAsTruncated()
    {
        var bytes = Truncate(File.ReadAllBytes(SharedData.Photo("graf1.png")), 0.6);

        AssertRefused(() => Decoder().Decode(bytes, Target, CancellationToken.None), "truncated");
    }

    [Theory]
    [InlineData("jpeg", 0.6)]
    [InlineData("jpeg", 0.98)]
    [InlineData("png", 0.6)]
    [InlineData("png", 0.99)]
    [InlineData("webp", 0.6)]
    [InlineData("webp", 0.95)]
    public void Decode_GeneratedPhotoCutShort_IsRefused(string format, double fraction)
    {
        using var image = Noise(64, 48, seed: 7);
        var bytes = format switch
        {
            "jpeg" => Encode(image, new JpegEncoder()),
            "png" => SplitIdat(Encode(image, new PngEncoder()), 1024),
            _ => Encode(image, new WebpEncoder()),
        };
        using (var whole = Decoder().Decode(bytes, Target, CancellationToken.None))
        {
            Assert.Equal(format, whole.Metadata.Format);
        }

        AssertRefused(() => Decoder().Decode(Truncate(bytes, fraction), Target, CancellationToken.None), "truncated");
    }

    [Fact]
    public void Decode_PngHeaderClaiming40000Squared_IsRefusedBeforeAllocatingPixels()
    {
        var bytes = CraftPng(40_000, 40_000);
        var allocator = new CountingMemoryAllocator();

        AssertRefused(
            () => Decoder(allocator: allocator).Decode(bytes, Target, CancellationToken.None),
            "is 40000 x 40000 pixels (1600.0 MP); the limit is 50 MP");

        // Decoding would need 40000 * 40000 * 3 bytes = 4.8 GB.
        Assert.InRange(allocator.AllocatedBytes, 0, 4L * 1024 * 1024);
    }

    [Fact]
    public void Decode_CountingAllocator_SeesTheDecodedPixels()
    {
        // The control for the test above: the allocator does see what a real decode allocates.
        using var image = Noise(1000, 1000, seed: 8);
        var bytes = Encode(image, new PngEncoder());
        var allocator = new CountingMemoryAllocator();

        using var photo = Decoder(allocator: allocator).Decode(bytes, Target, CancellationToken.None);

        Assert.True(allocator.AllocatedBytes >= 3_000_000, $"only {allocator.AllocatedBytes} bytes counted");
    }

    [Fact]
    public void Decode_OverPixelLimit_IsRefusedWithSizes()
    {
        using var image = Noise(100, 100, seed: 9);
        var bytes = Encode(image, new PngEncoder());

        AssertRefused(
            () => Decoder(new ImagingOptions { MaxPixels = 9_999 }).Decode(bytes, Target, CancellationToken.None),
            "is 100 x 100 pixels");
    }

    [Fact]
    public void Decode_OverByteLimit_IsRefusedNamingTheLimit()
    {
        var bytes = new byte[(1024 * 1024) + (512 * 1024)];

        AssertRefused(
            () => Decoder(new ImagingOptions { MaxPhotoBytes = 1024 * 1024 }).Decode(bytes, Target, CancellationToken.None),
            "is 1.5 MB; the limit is 1 MB");
    }

    [Fact]
    public void Decode_CancelledToken_ThrowsOperationCanceled()
    {
        using var image = Noise(16, 16, seed: 10);
        var bytes = Encode(image, new PngEncoder());

        Assert.Throws<OperationCanceledException>(() => Decoder().Decode(bytes, Target, new CancellationToken(canceled: true)));
    }
}
