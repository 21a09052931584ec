using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Tests;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

public sealed class SkiaPhotoDecoderTests(ITestOutputHelper output)
{
    private static readonly TensorSpec Target = RawSpec(224, 224);

    private static readonly Lazy<OnnxImageModel> Model = new(() => OnnxImageModel.Load(
        Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "1"),
        new InferenceOptions { IntraOpThreads = 1 }));

    private static SkiaPhotoDecoder Skia(ImagingOptions? options = null) => new(Options.Create(options ?? new ImagingOptions()));

    [Fact]
    public void IsSupported_HereTheNativeLibraryLoads() => Assert.True(SkiaPhotoDecoder.IsSupported);

    [SharedDataTheory]
    [InlineData("box_in_scene.png")]
    [InlineData("brick.png")]
    [InlineData("building.jpg")]
    [InlineData("chelsea.png")]
    [InlineData("coffee.png")]
    [InlineData("graf1.png")]
    [InlineData("grass.png")]
    [InlineData("gravel.png")]
    [InlineData("leuvenA.jpg")]
    [InlineData("licenseplate_motion.jpg")]
    public void Decode_SharedPhoto_FeaturesAgreeWithImageSharp(string name)
    {
        var bytes = File.ReadAllBytes(SharedData.Photo(name));

        var (cosine, skiaMetadata, sharpMetadata) = CompareFeatures(bytes);

        output.WriteLine($"{name}: cosine {cosine:0.00000}");
        Assert.Equal(sharpMetadata, skiaMetadata);
        Assert.True(cosine >= 0.99, $"{name}: cosine {cosine}");
    }

    [SharedDataFact]
    public void Decode_12MegapixelJpeg_DecodesAtReducedScaleAndFeaturesAgree()
    {
        byte[] bytes;
        using (var image = Image.Load<Rgb24>(SharedData.Photo("leuvenA.jpg")))
        {
            image.Mutate(x => x.Resize(4000, 3000, KnownResamplers.Bicubic));
            var random = new Random(7);
            image.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (var x = 0; x < row.Length; x++)
                    {
                        var n = random.Next(-8, 9);
                        row[x] = new Rgb24(Noisy(row[x].R, n), Noisy(row[x].G, n), Noisy(row[x].B, n));
                    }
                }
            });
            bytes = Encode(image, new JpegEncoder { Quality = 90 });
        }

        var spec = Model.Value.Descriptor.Input;
        using (var photo = (SkiaDecodedPhoto)Skia().Decode(bytes, spec, CancellationToken.None))
        {
            output.WriteLine($"decoded at {photo.DecodedWidth} x {photo.DecodedHeight} for a {spec.Width} x {spec.Height} {spec.ResizeMode} tensor");
            Assert.True(photo.DecodedWidth < 4000 / 2, $"decoded at {photo.DecodedWidth} x {photo.DecodedHeight}");
            Assert.True(Math.Min(photo.DecodedWidth, photo.DecodedHeight) >= Math.Min(spec.Width, spec.Height));
            Assert.Equal((4000, 3000), (photo.Metadata.Width, photo.Metadata.Height));
        }

        var (cosine, _, _) = CompareFeatures(bytes);
        output.WriteLine($"12 MP: cosine {cosine:0.00000}");
        Assert.True(cosine >= 0.99, $"cosine {cosine}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Decode_EveryOrientation_MatchesImageSharpPixels(ushort orientation)
    {
        using var image = Noise(12, 8, seed: orientation);
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        var bytes = Encode(image, new PngEncoder());

        using var skia = Skia().Decode(bytes, Target, CancellationToken.None);
        using var sharp = Decoder().Decode(bytes, Target, CancellationToken.None);

        Assert.Equal(sharp.Metadata, skia.Metadata);
        var spec = RawSpec(skia.Metadata.Width, skia.Metadata.Height);
        var a = new float[spec.Length];
        var b = new float[spec.Length];
        skia.WriteTensor(spec, a);
        sharp.WriteTensor(spec, b);
        Assert.Equal(b, a);
    }

    [Fact]
    public void Decode_PngAndWebp_ReportTheirFormat()
    {
        using var image = Noise(16, 12, seed: 1);

        using var png = Skia().Decode(Encode(image, new PngEncoder()), Target, CancellationToken.None);
        using var webp = Skia().Decode(Encode(image, new WebpEncoder()), Target, CancellationToken.None);

        Assert.Equal(("png", 16, 12), (png.Metadata.Format, png.Metadata.Width, png.Metadata.Height));
        Assert.Equal(("webp", 16, 12), (webp.Metadata.Format, webp.Metadata.Width, webp.Metadata.Height));
        var tensor = new float[Target.Length];
        webp.WriteTensor(Target, tensor);
        Assert.All(tensor, v => Assert.InRange(v, 0f, 255f));
    }

    [Fact]
    public void Decode_BadInputs_AreRefusedOnPhoto()
    {
        using var image = Noise(64, 48, seed: 3);
        var jpeg = Encode(image, new JpegEncoder { Quality = 90 });

        AssertRefused(() => Skia().Decode(Encode(image, new GifEncoder()), Target, CancellationToken.None), "is not a JPEG, PNG or WebP image");
        AssertRefused(() => Skia().Decode(Truncate(jpeg, 0.6), Target, CancellationToken.None), "truncated");
        AssertRefused(() => Skia().Decode(CraftPng(40_000, 40_000), Target, CancellationToken.None), "the limit is");
    }

    [Fact]
    public void Decode_OverLimits_AreRefusedOnPhoto()
    {
        using var image = Noise(64, 48, seed: 4);
        var jpeg = Encode(image, new JpegEncoder { Quality = 90 });

        AssertRefused(() => Skia(new ImagingOptions { MaxPhotoBytes = 100 }).Decode(jpeg, Target, CancellationToken.None), "the limit is");
        AssertRefused(() => Skia(new ImagingOptions { MaxPixels = 1000 }).Decode(jpeg, Target, CancellationToken.None), "the limit is");
        AssertRefused(() => Skia().Decode(ReadOnlyMemory<byte>.Empty, Target, CancellationToken.None), "is empty");
    }

    private static byte Noisy(byte value, int noise) => (byte)Math.Clamp(value + noise, 0, 255);

    private static (double Cosine, PhotoMetadata Skia, PhotoMetadata Sharp) CompareFeatures(byte[] bytes)
    {
        var model = Model.Value;
        var spec = model.Descriptor.Input;
        var skiaFeatures = Features(Skia(), bytes, out var skiaMetadata);
        var sharpFeatures = Features(Decoder(), bytes, out var sharpMetadata);
        return (VectorMath.Cosine(skiaFeatures, sharpFeatures), skiaMetadata, sharpMetadata);

        float[] Features(IPhotoDecoder decoder, byte[] photoBytes, out PhotoMetadata metadata)
        {
            using var photo = decoder.Decode(photoBytes, spec, CancellationToken.None);
            metadata = photo.Metadata;
            var input = new float[spec.Length];
            photo.WriteTensor(spec, input);
            var features = new float[model.Descriptor.OutputLength];
            model.Run(input, features, CancellationToken.None);
            return features;
        }
    }
}
