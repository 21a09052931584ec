using Fidamia.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

public sealed class DecodedPhotoTensorTests
{
    private const float Tolerance = 1e-4f;

    /// <summary>Top row (10,20,30) (200,100,50); bottom row (0,255,128) (1,2,3). PNG keeps them exact.</summary>
    private static DecodedPhoto DecodeTwoByTwo()
    {
        using var image = new Image<Rgb24>(2, 2);
        image[0, 0] = new Rgb24(10, 20, 30);
        image[1, 0] = new Rgb24(200, 100, 50);
        image[0, 1] = new Rgb24(0, 255, 128);
        image[1, 1] = new Rgb24(1, 2, 3);
        return Decoder().Decode(Encode(image, new PngEncoder()), RawSpec(2, 2), CancellationToken.None);
    }

    [Fact]
    public void WriteTensor_BgrCaffeMeans_WritesPlanesBlueGreenRed()
    {
        using var photo = DecodeTwoByTwo();
        var spec = new TensorSpec(2, 2, ColorOrder.Bgr, 1f, [103.063f, 115.903f, 123.152f], [1f, 1f, 1f], ResizeMode.Stretch);
        var tensor = new float[spec.Length];

        photo.WriteTensor(spec, tensor);

        // NCHW: index = plane * 4 + y * 2 + x; plane 0 is blue and takes Mean[0].
        Assert.Equal(30f - 103.063f, tensor[0], Tolerance); // B of (0,0)
        Assert.Equal(-53.063f, tensor[1], Tolerance); // B of (1,0) = 50 - 103.063
        Assert.Equal(128f - 103.063f, tensor[2], Tolerance); // B of (0,1)
        Assert.Equal(-15.903f, tensor[4 + 1], Tolerance); // G of (1,0) = 100 - 115.903
        Assert.Equal(139.097f, tensor[4 + 2], Tolerance); // G of (0,1) = 255 - 115.903
        Assert.Equal(76.848f, tensor[8 + 1], Tolerance); // R of (1,0) = 200 - 123.152
        Assert.Equal(-122.152f, tensor[8 + 3], Tolerance); // R of (1,1) = 1 - 123.152
    }

    [Fact]
    public void WriteTensor_RgbImageNetNormalisation_WritesPlanesRedGreenBlue()
    {
        using var photo = DecodeTwoByTwo();
        var spec = new TensorSpec(2, 2, ColorOrder.Rgb, 1f / 255f, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], ResizeMode.Stretch);
        var tensor = new float[spec.Length];

        photo.WriteTensor(spec, tensor);

        // (10/255 - 0.485) / 0.229 = -1.946656...; (100/255 - 0.456) / 0.224 = -0.285014...; (3/255 - 0.406) / 0.225 = -1.752157...
        Assert.Equal(-1.9466564f, tensor[0], Tolerance); // R of (0,0)
        Assert.Equal(-0.2850140f, tensor[4 + 1], Tolerance); // G of (1,0)
        Assert.Equal(-1.7521569f, tensor[8 + 3], Tolerance); // B of (1,1)
        Assert.Equal(1.3070468f, tensor[0 + 1], Tolerance); // R of (1,0): (200/255 - 0.485) / 0.229
    }

    [Fact]
    public void WriteTensor_CenterCropOfWideImage_KeepsTheMiddleColumns()
    {
        // Columns red, green, blue, white; a 2 x 2 centre crop needs no scaling and keeps green and blue.
        using var image = new Image<Rgb24>(4, 2);
        Rgb24[] columns = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(255, 255, 255)];
        for (var x = 0; x < 4; x++)
        {
            image[x, 0] = image[x, 1] = columns[x];
        }

        using var photo = Decoder().Decode(Encode(image, new PngEncoder()), RawSpec(2, 2), CancellationToken.None);
        var crop = RawSpec(2, 2, ResizeMode.CenterCrop);
        var cropped = new float[crop.Length];
        var stretched = new float[crop.Length];

        photo.WriteTensor(crop, cropped);
        photo.WriteTensor(RawSpec(2, 2), stretched);

        Assert.Equal([0f, 0f, 0f, 0f], cropped[0..4]); // no red or white survives the crop
        Assert.Equal([255f, 0f, 255f, 0f], cropped[4..8]); // green in the left column
        Assert.Equal([0f, 255f, 0f, 255f], cropped[8..12]); // blue in the right column
        Assert.True(stretched[0] > 100f, $"stretch should keep the red column, left red is {stretched[0]}");
    }

    [Fact]
    public void WriteTensor_Downscale_AveragesNeighbours()
    {
        // A 2 x 2 checkerboard of black and white, squeezed to one pixel, is mid grey.
        using var image = new Image<Rgb24>(2, 2, new Rgb24(0, 0, 0));
        image[0, 0] = image[1, 1] = new Rgb24(255, 255, 255);
        using var photo = Decoder().Decode(Encode(image, new PngEncoder()), RawSpec(1, 1), CancellationToken.None);
        var tensor = new float[3];

        photo.WriteTensor(RawSpec(1, 1), tensor);

        Assert.All(tensor, v => Assert.InRange(v, 120f, 135f));
    }

    [Fact]
    public void WriteTensor_TwiceWithDifferentSizes_ResamplesTheOriginalEachTime()
    {
        using var image = Noise(40, 30, seed: 11);
        using var photo = Decoder().Decode(Encode(image, new PngEncoder()), RawSpec(40, 30), CancellationToken.None);
        var small = new float[RawSpec(4, 3).Length];
        var full = new float[RawSpec(40, 30).Length];

        photo.WriteTensor(RawSpec(4, 3), small);
        photo.WriteTensor(RawSpec(40, 30), full);

        // Had the first call resized in place, the second would be an upscaled 4 x 3 image.
        Assert.Equal(image[7, 5].R, full[(5 * 40) + 7]);
        Assert.Equal(image[39, 29].B, full[(2 * 1200) + (29 * 40) + 39]);
    }

    [Fact]
    public void WriteTensor_DestinationTooShort_Throws()
    {
        using var photo = DecodeTwoByTwo();

        Assert.Throws<ArgumentException>(() => photo.WriteTensor(RawSpec(2, 2), new float[11]));
    }

    [Fact]
    public void WriteTensor_AfterDispose_ThrowsObjectDisposed()
    {
        var photo = DecodeTwoByTwo();
        photo.Dispose();

        Assert.Throws<ObjectDisposedException>(() => photo.WriteTensor(RawSpec(2, 2), new float[12]));
    }
}
