using Fidamia.Core.Errors;
using System.Buffers;
using System.Runtime.InteropServices;
using Fidamia.Core.Imaging;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SkiaSharp;

namespace Fidamia.Imaging;

/// <summary>
/// Decodes JPEG, PNG and WebP with Skia's native codecs (libjpeg-turbo, libpng, libwebp). The same ImageSharp header
/// inspection as <see cref="ImageSharpPhotoDecoder"/> runs first (format by content, byte and pixel limits,
/// completeness, EXIF); then the photo is decoded at the smallest scale the codec offers that still covers the
/// target tensor: JPEG in the DCT domain (1/8 to 8/8), WebP through libwebp's scaler, PNG at full size.
/// </summary>
public sealed class SkiaPhotoDecoder : IPhotoDecoder
{
    private const int ScaleSteps = 8;
    private const int BytesPerPixel = 4;
    private static readonly Lazy<bool> Supported = new(Probe);

    private readonly ImagingOptions _options;
    private readonly Configuration _configuration;

    public SkiaPhotoDecoder(IOptions<ImagingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _configuration = ImagingConfiguration.Create();
    }

    /// <summary>Whether the native Skia library loads in this process; probed once.</summary>
    public static bool IsSupported => Supported.Value;

    public FieldViolation? Precheck(ReadOnlySpan<byte> photo) => PhotoInspector.Precheck(photo, _options, _configuration);

    public DecodedPhoto Decode(ReadOnlyMemory<byte> photo, TensorSpec target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var inspection = PhotoInspector.Inspect(photo, _options, _configuration, cancellationToken);
        try
        {
            return Load(photo, inspection, target, cancellationToken);
        }
        catch (Exception ex) when (PhotoInspector.IsDecoderFailure(ex))
        {
            throw PhotoInspector.CannotDecode(ex);
        }
    }

    /// <summary>The decode after the inspection; internal so the stage benchmarks can time it apart from the inspection.</summary>
    internal static SkiaDecodedPhoto Load(ReadOnlyMemory<byte> photo, PhotoInspection inspection, TensorSpec target, CancellationToken cancellationToken)
    {
        // Skia reads the caller's bytes in place (pinned for this call) rather than a native copy of a 4 MB photo per request.
        using var source = PinnedSource.Create(photo);
        using var codec = SKCodec.Create(source.Data) ?? throw PhotoInspector.CannotDecode("the native decoder does not recognise the data");

        // The pixel limit was checked on ImageSharp's reading of the headers; refuse bytes the two decoders read differently.
        var info = codec.Info;
        if (info.Width != inspection.StoredWidth || info.Height != inspection.StoredHeight)
        {
            throw PhotoInspector.CannotDecode("the decoders disagree on its size");
        }

        var size = ChooseSize(codec, inspection, target);
        var decodeInfo = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var byteCount = (long)size.Width * size.Height * BytesPerPixel;
        if (size.Width <= 0 || size.Height <= 0 || byteCount > Array.MaxLength)
        {
            throw PhotoInspector.CannotDecode("it is too large to decode in one buffer");
        }

        cancellationToken.ThrowIfCancellationRequested();
        // Pooled: a scaled 12 MP photo is 0.75 MB of pixels per request; the decoded photo returns it on dispose.
        var pixels = ArrayPool<byte>.Shared.Rent((int)byteCount);
        try
        {
            var result = codec.GetPixels(decodeInfo, pixels);
            if (result != SKCodecResult.Success)
            {
                throw PhotoInspector.CannotDecode("the native decoder reported " + result);
            }

            cancellationToken.ThrowIfCancellationRequested();
            return new SkiaDecodedPhoto(inspection.Metadata, pixels, size.Width, size.Height, inspection.Orientation);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(pixels);
            throw;
        }
    }

    /// <summary>
    /// The smallest decoded size that still covers what the resize needs, in stored (pre-orientation) axes: for
    /// CenterCrop the photo scaled until the target is covered, for Stretch the target itself. Downscaling the rest
    /// of the way is left to the bilinear resize, which then never enlarges.
    /// </summary>
    internal static SKSizeI ChooseSize(SKCodec codec, PhotoInspection inspection, TensorSpec target)
    {
        var storedWidth = inspection.StoredWidth;
        var storedHeight = inspection.StoredHeight;
        var (targetWidth, targetHeight) = inspection.SwapsAxes ? (target.Height, target.Width) : (target.Width, target.Height);

        double neededWidth, neededHeight;
        if (target.ResizeMode == Core.Imaging.ResizeMode.CenterCrop)
        {
            var ratio = Math.Max((double)targetWidth / storedWidth, (double)targetHeight / storedHeight);
            neededWidth = storedWidth * ratio;
            neededHeight = storedHeight * ratio;
        }
        else
        {
            neededWidth = targetWidth;
            neededHeight = targetHeight;
        }

        // Rounding in the ratio must not push a size that exactly covers out of reach.
        const double Tolerance = 1e-6;
        for (var step = 1; step < ScaleSteps; step++)
        {
            var scaled = codec.GetScaledDimensions((float)step / ScaleSteps);
            if (scaled.Width >= neededWidth - Tolerance && scaled.Height >= neededHeight - Tolerance
                && scaled.Width <= storedWidth && scaled.Height <= storedHeight)
            {
                return scaled;
            }
        }

        return new SKSizeI(storedWidth, storedHeight);
    }

    private static bool Probe()
    {
        try
        {
            using var bitmap = new SKBitmap(1, 1);
            return bitmap.Width == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>The photo as Skia data: a view of the pinned array when there is one, else a copy. Dispose after the codec.</summary>
    private readonly struct PinnedSource : IDisposable
    {
        private readonly GCHandle _pin;

        private PinnedSource(SKData data, GCHandle pin)
        {
            Data = data;
            _pin = pin;
        }

        public SKData Data { get; }

        public static PinnedSource Create(ReadOnlyMemory<byte> photo)
        {
            if (!MemoryMarshal.TryGetArray(photo, out var segment) || segment.Array is null)
            {
                return new PinnedSource(SKData.CreateCopy(photo.Span), default);
            }

            var pin = GCHandle.Alloc(segment.Array, GCHandleType.Pinned);
            try
            {
                var address = pin.AddrOfPinnedObject() + segment.Offset;
                return new PinnedSource(SKData.Create(address, segment.Count), pin);
            }
            catch
            {
                pin.Free();
                throw;
            }
        }

        public void Dispose()
        {
            Data.Dispose();
            if (_pin.IsAllocated)
            {
                _pin.Free();
            }
        }
    }
}
