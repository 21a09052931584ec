using Fidamia.Core.Imaging;
using Fidamia.Imaging;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

/// <summary>
/// The stage benchmarks time the decoders' steps one by one (inspect, load, resize, normalise); those steps must add
/// up to exactly what <see cref="IPhotoDecoder.Decode"/> and <see cref="DecodedPhoto.WriteTensor"/> produce, or the
/// benchmarks measure something the service does not do.
/// </summary>
public sealed class StageSplitTests
{
    private static readonly TensorSpec Spec = new(16, 16, ColorOrder.Bgr, 1f, [103.063f, 115.903f, 123.152f], [1f, 2f, 4f], ResizeMode.CenterCrop);

    private static byte[] Photo(ushort orientation)
    {
        using var image = Noise(61, 37, seed: orientation);
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        return Encode(image, new PngEncoder());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void ImageSharpSteps_ComposeToDecodeAndWriteTensor(ushort orientation)
    {
        var bytes = Photo(orientation);
        var options = new ImagingOptions();
        var configuration = ImagingConfiguration.Create();
        var decoder = new ImageSharpPhotoDecoder(Options.Create(options), configuration);
        using var whole = decoder.Decode(bytes, Spec, CancellationToken.None);
        var expected = new float[Spec.Length];
        whole.WriteTensor(Spec, expected);

        var inspection = PhotoInspector.Inspect(bytes, options, configuration, CancellationToken.None);
        using var loaded = decoder.Load(bytes, inspection, CancellationToken.None);
        using var resized = loaded.Resize(Spec);
        var actual = new float[Spec.Length];
        ImageSharpDecodedPhoto.WritePlanes(resized, Spec, actual);

        Assert.Equal(whole.Metadata, loaded.Metadata);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void SkiaSteps_ComposeToDecodeAndWriteTensor(ushort orientation)
    {
        var bytes = Photo(orientation);
        var options = new ImagingOptions();
        using var whole = new SkiaPhotoDecoder(Options.Create(options)).Decode(bytes, Spec, CancellationToken.None);
        var expected = new float[Spec.Length];
        whole.WriteTensor(Spec, expected);

        var inspection = PhotoInspector.Inspect(bytes, options, ImagingConfiguration.Create(), CancellationToken.None);
        using var loaded = SkiaPhotoDecoder.Load(bytes, inspection, Spec, CancellationToken.None);
        var rgb = new float[Spec.Width * Spec.Height * 3];
        loaded.Resize(Spec, rgb);
        var actual = new float[Spec.Length];
        var planes = new TensorPlanes(Spec, actual);
        for (var i = 0; i < Spec.Width * Spec.Height; i++)
        {
            planes.Write(i, rgb[3 * i], rgb[(3 * i) + 1], rgb[(3 * i) + 2]);
        }

        Assert.Equal(whole.Metadata, loaded.Metadata);
        Assert.Equal(expected, actual);
    }
}
