using System.Globalization;
using System.Runtime.InteropServices;
using Fidamia.Core.Errors;
using Fidamia.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;

namespace Fidamia.Imaging;

/// <summary>What a photo's headers say, read before any pixel buffer exists.</summary>
/// <param name="Format">The content's format.</param>
/// <param name="StoredWidth">Width as stored, before EXIF orientation.</param>
/// <param name="StoredHeight">Height as stored, before EXIF orientation.</param>
/// <param name="Orientation">EXIF orientation 1-8; 1 when absent or out of range.</param>
/// <param name="Metadata">Displayed size (after orientation), format, EXIF position and time.</param>
internal sealed record PhotoInspection(PhotoFormat Format, int StoredWidth, int StoredHeight, int Orientation, PhotoMetadata Metadata)
{
    /// <summary>Orientations 5-8 turn the photo a quarter, so the displayed axes are the stored ones swapped.</summary>
    public bool SwapsAxes => Orientation is >= 5 and <= 8;
}

/// <summary>
/// The checks every decoder runs on untrusted bytes before decoding them: byte limit, format by content (ImageSharp's
/// JPEG, PNG and WebP modules only), pixel limit from the headers, completeness, compressed PNG text, and EXIF
/// metadata (read from the block <see cref="PhotoMetadataBlocks"/> finds: ImageSharp ignores metadata).
/// </summary>
internal static class PhotoInspector
{
    public const string Field = "photo";
    private const double BytesPerKilobyte = 1024;
    private const double BytesPerMegabyte = 1024 * 1024;
    private const double PixelsPerMegapixel = 1_000_000;
    private const int MaxReasonLength = 200;
    private const string NotAcceptedFormat = "is not a JPEG, PNG or WebP image";

    /// <summary>The checks that need no header parsing: byte limit and format by signature (the first bytes).</summary>
    public static FieldViolation? Precheck(ReadOnlySpan<byte> photo, ImagingOptions options, Configuration configuration)
    {
        if (photo.IsEmpty)
        {
            return new(Field, "is empty");
        }

        if (photo.Length > options.MaxPhotoBytes)
        {
            return new(Field, TooLarge(photo.Length, options));
        }

        return PhotoFormats.FromImageSharp(Image.DetectFormat(configuration, photo)) is null
            ? new(Field, NotAcceptedFormat)
            : null;
    }

    public static PhotoInspection Inspect(ReadOnlyMemory<byte> photo, ImagingOptions options, Configuration configuration, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (photo.IsEmpty)
        {
            throw new InvalidReportException(Field, "is empty");
        }

        if (photo.Length > options.MaxPhotoBytes)
        {
            throw new InvalidReportException(Field, TooLarge(photo.Length, options));
        }

        try
        {
            return Identify(photo, options, configuration, cancellationToken);
        }
        catch (Exception ex) when (IsDecoderFailure(ex))
        {
            throw CannotDecode(ex);
        }
    }

    /// <summary>Reads the headers only, so the pixel limit is enforced before a single pixel buffer exists.</summary>
    private static PhotoInspection Identify(ReadOnlyMemory<byte> photo, ImagingOptions options, Configuration configuration, CancellationToken cancellationToken)
    {
        IImageInfo? info;
        IImageFormat? detected;
        using (var stream = OpenRead(photo))
        {
            info = Image.Identify(configuration, stream, out detected);
        }

        // Detection reads the content's signature, never a file name, and only the JPEG, PNG and WebP modules take part.
        if (info is null || PhotoFormats.FromImageSharp(detected) is not { } format)
        {
            throw new InvalidReportException(Field, NotAcceptedFormat);
        }

        var pixels = (long)info.Width * info.Height;
        if (pixels > options.MaxPixels)
        {
            throw new InvalidReportException(Field, Invariant(
                $"is {info.Width} x {info.Height} pixels ({pixels / PixelsPerMegapixel:0.0} MP); the limit is {options.MaxPixels / PixelsPerMegapixel:0.##} MP"));
        }

        if (!PhotoCompleteness.IsComplete(photo.Span, format))
        {
            throw new InvalidReportException(Field, Truncated(format));
        }

        if (format == PhotoFormat.Png && PhotoMetadataBlocks.CountCompressedPngText(photo.Span) is var compressedText
            && compressedText > PhotoMetadataBlocks.MaxCompressedTextChunks)
        {
            throw new InvalidReportException(Field, Invariant(
                $"has {compressedText} compressed text chunks (zTXt, iTXt); the limit is {PhotoMetadataBlocks.MaxCompressedTextChunks}"));
        }

        cancellationToken.ThrowIfCancellationRequested();

        // Parsed lazily by the first GetValue below, inside the caller's decoder-failure handling; at most 64 KB.
        var block = PhotoMetadataBlocks.FindExif(photo.Span, format);
        var exif = block.IsEmpty ? null : new ExifProfile(block.ToArray());
        var orientation = ReadOrientation(exif);
        var swaps = orientation is >= 5 and <= 8;
        var metadata = new PhotoMetadata(
            swaps ? info.Height : info.Width,
            swaps ? info.Width : info.Height,
            format.Name(),
            ExifMetadata.ReadLocation(exif),
            ExifMetadata.ReadTakenAt(exif),
            orientation);
        return new PhotoInspection(format, info.Width, info.Height, orientation, metadata);
    }

    private static int ReadOrientation(ExifProfile? exif)
    {
        var value = exif?.GetValue(ExifTag.Orientation)?.Value;
        return value is >= 1 and <= 8 ? value.Value : 1;
    }

    /// <summary>Wraps the caller's bytes without copying them: a photo may be 20 MB.</summary>
    public static Stream OpenRead(ReadOnlyMemory<byte> photo) =>
        MemoryMarshal.TryGetArray(photo, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new ReadOnlyMemoryStream(photo);

    /// <summary>
    /// Everything a decoder throws while reading the bytes is the photo's fault as far as the caller can tell:
    /// besides its documented format exceptions, crafted input can reach decoder bugs (index, overflow, cast
    /// errors), and a server error would invite the client to retry the same bytes. Cancellation, out-of-memory
    /// and the service's own refusals pass through.
    /// </summary>
    public static bool IsDecoderFailure(Exception ex) =>
        ex is not (OperationCanceledException or OutOfMemoryException or FidamiaException);

    public static InvalidReportException CannotDecode(Exception ex) =>
        new(Field, "cannot be decoded: " + Reason(ex), ex);

    public static InvalidReportException CannotDecode(string reason) =>
        new(Field, "cannot be decoded: " + reason);

    private static string Reason(Exception ex)
    {
        var known = ex is ImageFormatException or NotSupportedException or InvalidDataException
            or EndOfStreamException or ArgumentException or InvalidMemoryOperationException;
        if (!known)
        {
            return "the decoder failed (" + ex.GetType().Name + ")";
        }

        // ImageSharp messages can span lines (the list of available decoders); the first says what went wrong.
        var message = ex.Message.AsSpan();
        var newline = message.IndexOfAny('\r', '\n');
        if (newline >= 0)
        {
            message = message[..newline];
        }

        message = message.Trim();
        return message.Length > MaxReasonLength ? string.Concat(message[..MaxReasonLength], "...") : message.ToString();
    }

    private static string Truncated(PhotoFormat format) => format switch
    {
        PhotoFormat.Jpeg => "is truncated or incomplete: the JPEG has no end-of-image marker after its last scan",
        PhotoFormat.Png => "is truncated or incomplete: the PNG ends before its IEND chunk",
        _ => "is truncated or incomplete: the WebP is shorter than its RIFF header says",
    };

    private static string TooLarge(long bytes, ImagingOptions options) =>
        $"is {FormatSize(bytes)}; the limit is {FormatSize(options.MaxPhotoBytes)}";

    /// <summary>Megabytes for photo-sized values, smaller units for the small limits tests and some deployments set.</summary>
    private static string FormatSize(long bytes) => bytes switch
    {
        >= (long)BytesPerMegabyte => Invariant($"{bytes / BytesPerMegabyte:0.#} MB"),
        >= (long)BytesPerKilobyte => Invariant($"{bytes / BytesPerKilobyte:0.#} KB"),
        _ => Invariant($"{bytes} bytes"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
