using System.Buffers.Binary;

namespace Fidamia.Imaging;

/// <summary>
/// Structural checks that a photo was received whole. ImageSharp 2.1.13 decodes a JPEG cut anywhere after its
/// headers (the missing blocks come out grey), a PNG cut after its first IDAT bytes (missing rows come out black)
/// and a lossy WebP cut inside its VP8 frame, all without an error; a truncated upload would then be scored as if
/// it were the photo. Each check walks the container's own framing, so bytes inside a segment (an EXIF thumbnail's
/// end marker, compressed data) are never mistaken for structure. Bytes after the end of the image are allowed:
/// some cameras and editors append data there and decoders ignore it.
/// </summary>
internal static class PhotoCompleteness
{
    private const byte MarkerPrefix = 0xFF;
    private const byte StartOfScan = 0xDA;
    private const byte EndOfImage = 0xD9;

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
        if (data.Length < 4 || data[0] != MarkerPrefix || data[1] != 0xD8)
        {
            return false;
        }

        var position = 2;
        while (true)
        {
            // Like libjpeg, tolerate stray bytes between segments: the next marker is the next 0xFF.
            var next = data[position..].IndexOf(MarkerPrefix);
            if (next < 0)
            {
                return false;
            }

            position += next;
            while (position < data.Length && data[position] == MarkerPrefix)
            {
                position++; // fill bytes
            }

            if (position >= data.Length)
            {
                return false;
            }

            var marker = data[position++];
            if (marker == EndOfImage)
            {
                return true;
            }

            if (marker is 0x00 or 0x01 or (>= 0xD0 and <= 0xD8))
            {
                continue; // markers without a length field (TEM, RSTn, SOI) and stray stuffing
            }

            if (position + 2 > data.Length)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (length < 2 || position + length > data.Length)
            {
                return false;
            }

            position += length;
            if (marker == StartOfScan && !SkipEntropyCodedData(data, ref position))
            {
                return false;
            }
        }
    }

    /// <summary>Moves past a scan's compressed data to the 0xFF of the marker ending it; false when the data runs out first.</summary>
    private static bool SkipEntropyCodedData(ReadOnlySpan<byte> data, ref int position)
    {
        while (true)
        {
            var next = data[position..].IndexOf(MarkerPrefix);
            if (next < 0)
            {
                return false;
            }

            position += next;
            if (position + 1 >= data.Length)
            {
                return false;
            }

            // Inside a scan 0xFF is followed by 0x00 (a stuffed data byte) or a restart marker; anything else ends it.
            var code = data[position + 1];
            if (code is 0x00 or (>= 0xD0 and <= 0xD7))
            {
                position += 2;
                continue;
            }

            return true;
        }
    }

    /// <summary>Every chunk must fit in the bytes received, up to and including IEND.</summary>
    public static bool IsCompletePng(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        ReadOnlySpan<byte> end = "IEND"u8;
        if (!data.StartsWith(signature))
        {
            return false;
        }

        long position = signature.Length;
        while (position + 12 <= data.Length)
        {
            // length (4) | type (4) | data (length) | CRC (4)
            var chunk = data[(int)position..];
            long length = BinaryPrimitives.ReadUInt32BigEndian(chunk);
            if (chunk.Slice(4, 4).SequenceEqual(end))
            {
                return true;
            }

            position += 12 + length;
        }

        return false;
    }

    /// <summary>The RIFF header's size must be covered by the bytes received.</summary>
    public static bool IsCompleteWebp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 12 || !data.StartsWith("RIFF"u8) || !data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return false;
        }

        // The size counts everything after the 8-byte RIFF header.
        long riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        return riffSize + 8 <= data.Length;
    }
}
