using System.Runtime.InteropServices;
using Fidamia.Core.Imaging;
using SkiaSharp;

namespace Fidamia.Imaging;

/// <summary>
/// The work no request path can avoid, for the benchmarks' floor: Skia's scaled decode (libjpeg-turbo in the DCT domain
/// for JPEG) to the smallest size covering the model input, Skia's own bilinear resize to the input, and a plain write
/// of the pixels into the tensor. None of the service's checks: no limits, no completeness, no EXIF, no orientation.
/// </summary>
public static class DecodeFloor
{
    private const int ScaleSteps = 8;

    /// <summary>Decodes <paramref name="photo"/> into <paramref name="tensor"/> (3 planes of the spec's size).</summary>
    /// <exception cref="InvalidDataException">Skia cannot decode the photo.</exception>
    public static void ToTensor(byte[] photo, TensorSpec spec, Span<float> tensor)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(tensor.Length, spec.Length);
        var pin = GCHandle.Alloc(photo, GCHandleType.Pinned);
        try
        {
            using var data = SKData.Create(pin.AddrOfPinnedObject(), photo.Length);
            using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("Skia does not recognise the photo");
            var size = codec.Info.Size;
            for (var step = 1; step < ScaleSteps; step++)
            {
                var scaled = codec.GetScaledDimensions((float)step / ScaleSteps);
                if (scaled.Width >= spec.Width && scaled.Height >= spec.Height)
                {
                    size = scaled;
                    break;
                }
            }

            using var decoded = new SKBitmap(new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            if (codec.GetPixels(decoded.Info, decoded.GetPixels()) != SKCodecResult.Success)
            {
                throw new InvalidDataException("Skia cannot decode the photo");
            }

            using var resized = decoded.Resize(
                new SKImageInfo(spec.Width, spec.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear))
                ?? throw new InvalidDataException("Skia cannot resize the photo");
            var pixels = resized.GetPixelSpan();
            var plane = spec.Width * spec.Height;
            for (var i = 0; i < plane; i++)
            {
                tensor[i] = pixels[4 * i] * spec.Scale;
                tensor[plane + i] = pixels[(4 * i) + 1] * spec.Scale;
                tensor[(2 * plane) + i] = pixels[(4 * i) + 2] * spec.Scale;
            }
        }
        finally
        {
            pin.Free();
        }
    }
}
