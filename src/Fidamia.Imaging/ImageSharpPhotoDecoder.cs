using System.Globalization;
using System.Runtime.InteropServices;
using Fidamia.Core.Errors;
using Fidamia.Core.Imaging;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Fidamia.Imaging;

/// <summary>
/// Decodes untrusted JPEG, PNG and WebP photos with ImageSharp 2.1, refusing oversized, truncated and
/// undecodable ones with an <see cref="InvalidReportException"/> on the <c>photo</c> field.
/// </summary>
public sealed class ImageSharpPhotoDecoder : IPhotoDecoder
{
    private const string Field = "photo";
    private const double BytesPerKilobyte = 1024;
    private const double BytesPerMegabyte = 1024 * 1024;
    private const double PixelsPerMegapixel = 1_000_000;
    private const int MaxReasonLength = 200;

    private readonly ImagingOptions _options;
    private readonly Configuration _configuration;

    public ImageSharpPhotoDecoder(IOptions<ImagingOptions> options)
        : this(options, ImagingConfiguration.Create())
    {
    }

    /// <param name="configuration">Must come from <see cref="ImagingConfiguration.Create"/>; tests pass one with a counting allocator.</param>
    internal ImageSharpPhotoDecoder(IOptions<ImagingOptions> options, Configuration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        _options = options.Value;
        _configuration = configuration;
    }

    /// <remarks>
    /// ImageSharp 2.1 cannot decode at a reduced scale, so <paramref name="target"/> does not change the work done;
    /// the full image is decoded and resized in <see cref="DecodedPhoto.WriteTensor"/>.
    /// </remarks>
    public DecodedPhoto Decode(ReadOnlyMemory<byte> photo, TensorSpec target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        cancellationToken.ThrowIfCancellationRequested();

        if (photo.IsEmpty)
        {
            throw new InvalidReportException(Field, "is empty");
        }

        if (photo.Length > _options.MaxPhotoBytes)
        {
            throw new InvalidReportException(Field, $"is {FormatSize(photo.Length)}; the limit is {FormatSize(_options.MaxPhotoBytes)}");
        }

        try
        {
            var format = Identify(photo, cancellationToken);
            return Load(photo, format, cancellationToken);
        }
        catch (Exception ex) when (IsDecoderFailure(ex))
        {
            throw new InvalidReportException(Field, "cannot be decoded: " + Reason(ex), ex);
        }
    }

    /// <summary>Reads the headers only, so the pixel limit is enforced before a single pixel buffer exists.</summary>
    private PhotoFormat Identify(ReadOnlyMemory<byte> photo, CancellationToken cancellationToken)
    {
        IImageInfo? info;
        IImageFormat? detected;
        using (var stream = OpenRead(photo))
        {
            info = Image.Identify(_configuration, stream, out detected);
        }

        // Detection reads the content's signature, never a file name, and only the JPEG, PNG and WebP modules take part.
        if (info is null || PhotoFormats.FromImageSharp(detected) is not { } format)
        {
            throw new InvalidReportException(Field, "is not a JPEG, PNG or WebP image");
        }

        var pixels = (long)info.Width * info.Height;
        if (pixels > _options.MaxPixels)
        {
            throw new InvalidReportException(Field, Invariant(
                $"is {info.Width} x {info.Height} pixels ({pixels / PixelsPerMegapixel:0.0} MP); the limit is {_options.MaxPixels / PixelsPerMegapixel:0.##} MP"));
        }

        if (!PhotoCompleteness.IsComplete(photo.Span, format))
        {
            throw new InvalidReportException(Field, Truncated(format));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return format;
    }

    private ImageSharpDecodedPhoto Load(ReadOnlyMemory<byte> photo, PhotoFormat format, CancellationToken cancellationToken)
    {
        Image<Rgb24> image;
        using (var stream = OpenRead(photo))
        {
            image = Image.Load<Rgb24>(_configuration, stream);
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Rotates the pixels as the camera meant them to be seen (phones mostly store landscape sensor data
            // plus an orientation tag); models are trained on upright photos.
            image.Mutate(x => x.AutoOrient());
            cancellationToken.ThrowIfCancellationRequested();

            var exif = image.Metadata.ExifProfile;
            var metadata = new PhotoMetadata(
                image.Width,
                image.Height,
                format.Name(),
                ExifMetadata.ReadLocation(exif),
                ExifMetadata.ReadTakenAt(exif));
            return new ImageSharpDecodedPhoto(metadata, image);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>Wraps the caller's bytes without copying them: a photo may be 20 MB.</summary>
    private static Stream OpenRead(ReadOnlyMemory<byte> photo) =>
        MemoryMarshal.TryGetArray(photo, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new ReadOnlyMemoryStream(photo);

    /// <summary>
    /// Everything ImageSharp throws while reading the bytes is the photo's fault as far as the caller can tell:
    /// besides its documented format exceptions, crafted input can reach decoder bugs (index, overflow, cast
    /// errors), and a server error would invite the client to retry the same bytes. Cancellation, out-of-memory
    /// and the service's own refusals pass through.
    /// </summary>
    private static bool IsDecoderFailure(Exception ex) =>
        ex is not (OperationCanceledException or OutOfMemoryException or FidamiaException);

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

    /// <summary>Megabytes for photo-sized values, smaller units for the small limits tests and some deployments set.</summary>
    private static string FormatSize(long bytes) => bytes switch
    {
        >= (long)BytesPerMegabyte => Invariant($"{bytes / BytesPerMegabyte:0.#} MB"),
        >= (long)BytesPerKilobyte => Invariant($"{bytes / BytesPerKilobyte:0.#} KB"),
        _ => Invariant($"{bytes} bytes"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
