using Fidamia.Core.Geo;

namespace Fidamia.Core.Imaging;

/// <summary>What the photo says about itself, read before or while decoding.</summary>
/// <param name="Width">Displayed width, after EXIF orientation.</param>
/// <param name="Height">Displayed height, after EXIF orientation.</param>
/// <param name="Format">jpeg, png or webp.</param>
/// <param name="ExifLocation">EXIF GPS position, when the photo has one.</param>
/// <param name="TakenAt">EXIF DateTimeOriginal, read as UTC since EXIF 2.2 carries no zone.</param>
/// <param name="Orientation">EXIF orientation 1-8 (1: display as stored), which a stripped copy of the photo no longer carries.</param>
public sealed record PhotoMetadata(int Width, int Height, string Format, GeoPoint? ExifLocation, DateTimeOffset? TakenAt, int Orientation = 1);

/// <summary>A decoded photo, ready to be written into a model's input tensor. Owns native or pooled pixels.</summary>
public abstract class DecodedPhoto : IDisposable
{
    protected DecodedPhoto(PhotoMetadata metadata) => Metadata = metadata;

    public PhotoMetadata Metadata { get; }

    /// <summary>Resizes and normalises the pixels into <paramref name="destination"/> (NCHW, <see cref="TensorSpec.Length"/> floats).</summary>
    public abstract void WriteTensor(TensorSpec spec, Span<float> destination);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);
}

/// <summary>
/// Decodes untrusted photo bytes. Implementations identify the format by content and refuse
/// oversized photos before allocating pixels; any refusal is an
/// <see cref="Errors.InvalidReportException"/> on the <c>photo</c> field.
/// </summary>
public interface IPhotoDecoder
{
    /// <summary>
    /// What can be said of the photo without decoding it (its size against the limit, its format by signature), so that
    /// a refusal lists it beside the request's other violations; null when nothing is wrong so far.
    /// </summary>
    Errors.FieldViolation? Precheck(ReadOnlySpan<byte> photo) => null;

    /// <param name="target">The tensor the photo will be written into, so a decoder may decode at a reduced scale.</param>
    DecodedPhoto Decode(ReadOnlyMemory<byte> photo, TensorSpec target, CancellationToken cancellationToken);
}

/// <summary>A stored photo made ready to show: upright, fitted within a size, as JPEG.</summary>
public sealed record RenderedPhoto(byte[] Jpeg, int Width, int Height);

/// <summary>Shows stored photos to people (operators): applies the EXIF orientation kept beside them and scales them down.</summary>
public interface IPhotoRenderer
{
    /// <param name="orientation">EXIF orientation 1-8 (the stored bytes carry none).</param>
    /// <param name="maxSide">The longest side wanted, in pixels; a smaller photo is not enlarged.</param>
    RenderedPhoto Render(ReadOnlyMemory<byte> photo, int orientation, int maxSide, CancellationToken cancellationToken);
}

public static class PhotoDecoderExtensions
{
    /// <summary>Decodes a photo straight into a model's input tensor and says what the photo says about itself.</summary>
    public static PhotoMetadata DecodeInto(this IPhotoDecoder decoder, ReadOnlyMemory<byte> photo, TensorSpec spec, Span<float> tensor, CancellationToken cancellationToken)
    {
        using var decoded = decoder.Decode(photo, spec, cancellationToken);
        decoded.WriteTensor(spec, tensor);
        return decoded.Metadata;
    }
}
