using System.Buffers.Binary;

namespace Fidamia.Imaging;

/// <summary>
/// Structural checks that a photo was received whole. ImageSharp 2.1.13 decodes a JPEG cut anywhere after its
/// headers (the missing blocks come out grey), a PNG cut after its first IDAT bytes (missing rows come out black)
/// and a lossy WebP cut inside its VP8 frame, all without an error; a truncated upload would then be scored as if
/// it were the photo. Each check walks the container's own framing (<see cref="PhotoContainers"/>), so bytes inside
/// a segment (an EXIF thumbnail's end marker, compressed data) are never mistaken for structure. Bytes after the end
/// of the image are allowed: some cameras and editors append data there and decoders ignore it.
/// </summary>
internal static class PhotoCompleteness
{
    public static bool IsComplete(ReadOnlySpan<byte> data, PhotoFormat format) => format switch
    {
        PhotoFormat.Jpeg => IsCompleteJpeg(data),
        PhotoFormat.Png => IsCompletePng(data),
        PhotoFormat.Webp => IsCompleteWebp(data),
        _ => false,
    };

    /// <summary>The end-of-image marker must follow the last scan's entropy-coded data.</summary>
    public static bool IsCompleteJpeg(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || !PhotoContainers.IsJpeg(data))
        {
            return false;
        }

        foreach (var segment in PhotoContainers.JpegSegments(data))
        {
            if (segment.Marker == PhotoContainers.JpegEndOfImage)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every chunk must fit in the bytes received, up to and including IEND.</summary>
    public static bool IsCompletePng(ReadOnlySpan<byte> data)
    {
        if (!PhotoContainers.IsPng(data))
        {
            return false;
        }

        foreach (var chunk in PhotoContainers.PngChunks(data))
        {
            if (chunk.Type.SequenceEqual("IEND"u8))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The RIFF header's size must be covered by the bytes received.</summary>
    public static bool IsCompleteWebp(ReadOnlySpan<byte> data)
    {
        if (!PhotoContainers.IsWebp(data))
        {
            return false;
        }

        long riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        return PhotoContainers.RiffSizeFieldEnd + riffSize <= data.Length;
    }
}
