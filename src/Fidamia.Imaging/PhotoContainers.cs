using System.Buffers.Binary;

namespace Fidamia.Imaging;

/// <summary>
/// The one walk over each container's own framing, shared by the completeness checks, the EXIF search and the
/// metadata stripper: JPEG markers and segments, PNG chunks, WebP's RIFF chunks. The walkers read lengths and
/// identifiers and hand out slices of the caller's bytes; they copy nothing, inflate nothing and allocate nothing.
/// A walk ends early, without an error, where the framing runs past the data: each caller decides what that means.
/// </summary>
internal static class PhotoContainers
{
    public const byte JpegMarkerPrefix = 0xFF;
    public const byte JpegStartOfImage = 0xD8;
    public const byte JpegEndOfImage = 0xD9;
    public const byte JpegStartOfScan = 0xDA;
    public const byte JpegApp0 = 0xE0;
    public const byte JpegApp1 = 0xE1;
    public const byte JpegApp14 = 0xEE;
    public const byte JpegApp15 = 0xEF;
    public const byte JpegComment = 0xFE;

    public const int PngSignatureLength = 8;
    public const int PngChunkFraming = 12; // length (4) | type (4) | data | CRC (4)
    public const int RiffHeaderLength = 12; // "RIFF" | size (4) | "WEBP"
    public const int RiffChunkHeaderLength = 8; // FourCC | size (4)
    public const int RiffSizeFieldEnd = 8; // the RIFF size counts everything after "RIFF" and itself

    public static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == JpegMarkerPrefix && data[1] == JpegStartOfImage;

    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(PngSignature);

    public static bool IsWebp(ReadOnlySpan<byte> data) =>
        data.Length >= RiffHeaderLength && data.StartsWith("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8);

    /// <summary>The segments after SOI, up to and including EOI; stray bytes between segments are skipped, as libjpeg does.</summary>
    public static JpegSegmentEnumerator JpegSegments(ReadOnlySpan<byte> jpeg) => new(jpeg);

    /// <summary>The chunks after the signature, up to and including IEND.</summary>
    public static PngChunkEnumerator PngChunks(ReadOnlySpan<byte> png) => new(png);

    /// <summary>
    /// The chunks after the RIFF header, within the RIFF size (bytes past it are not part of the file), as far as they
    /// fit in the data.
    /// </summary>
    public static RiffChunkEnumerator WebpChunks(ReadOnlySpan<byte> webp)
    {
        if (webp.Length < RiffSizeFieldEnd)
        {
            return new([]);
        }

        var end = Math.Min(webp.Length, RiffSizeFieldEnd + (long)BinaryPrimitives.ReadUInt32LittleEndian(webp[4..]));
        return new(webp[..(int)end]);
    }
}

internal ref struct JpegSegmentEnumerator(ReadOnlySpan<byte> jpeg)
{
    private readonly ReadOnlySpan<byte> _jpeg = jpeg;
    private int _next = 2; // after SOI
    private bool _ended;

    public JpegSegment Current { get; private set; }

    public readonly JpegSegmentEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_ended)
        {
            return false;
        }

        // Like libjpeg, tolerate stray bytes between segments: the next marker is the next 0xFF, after any fill bytes.
        var position = _next;
        do
        {
            var found = position < _jpeg.Length ? _jpeg[position..].IndexOf(PhotoContainers.JpegMarkerPrefix) : -1;
            if (found < 0)
            {
                return false;
            }

            position += found;
            while (position < _jpeg.Length && _jpeg[position] == PhotoContainers.JpegMarkerPrefix)
            {
                position++;
            }

            if (position >= _jpeg.Length)
            {
                return false;
            }
        }
        while (_jpeg[position] == 0x00); // a stuffed zero outside a scan is not a marker

        var start = position - 1; // the 0xFF right before the marker code; fill bytes are not part of the segment
        var marker = _jpeg[position++];
        if (marker is 0x01 or (>= 0xD0 and <= PhotoContainers.JpegEndOfImage))
        {
            // TEM, RSTn, SOI and EOI have no length field.
            _ended = marker == PhotoContainers.JpegEndOfImage;
            return Yield(marker, start, position, position);
        }

        if (position + 2 > _jpeg.Length)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(_jpeg[position..]);
        if (length < 2 || position + length > _jpeg.Length)
        {
            return false;
        }

        var payloadStart = position + 2;
        position += length;
        if (marker == PhotoContainers.JpegStartOfScan && !SkipEntropyCodedData(ref position))
        {
            return false;
        }

        return Yield(marker, start, payloadStart, position);
    }

    private bool Yield(byte marker, int start, int payloadStart, int end)
    {
        Current = new JpegSegment(marker, _jpeg[start..end], _jpeg[payloadStart..end]);
        _next = end;
        return true;
    }

    /// <summary>Moves past a scan's compressed data to the 0xFF of the marker ending it; false when the data runs out first.</summary>
    private readonly bool SkipEntropyCodedData(ref int position)
    {
        while (true)
        {
            var next = _jpeg[position..].IndexOf(PhotoContainers.JpegMarkerPrefix);
            if (next < 0)
            {
                return false;
            }

            position += next;
            if (position + 1 >= _jpeg.Length)
            {
                return false;
            }

            // Inside a scan 0xFF is followed by 0x00 (a stuffed data byte) or a restart marker; anything else ends it.
            var code = _jpeg[position + 1];
            if (code is 0x00 or (>= 0xD0 and <= 0xD7))
            {
                position += 2;
                continue;
            }

            return true;
        }
    }
}

/// <param name="Marker">The marker code (the byte after 0xFF).</param>
/// <param name="Bytes">The whole segment from its 0xFF; for SOS it runs on through the scan's entropy-coded data.</param>
/// <param name="Payload">What follows the length field (for SOS, the scan header and the entropy-coded data); empty for markers without one.</param>
internal readonly ref struct JpegSegment(byte marker, ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> payload)
{
    public byte Marker { get; } = marker;

    public ReadOnlySpan<byte> Bytes { get; } = bytes;

    public ReadOnlySpan<byte> Payload { get; } = payload;
}

internal ref struct PngChunkEnumerator(ReadOnlySpan<byte> png)
{
    private readonly ReadOnlySpan<byte> _png = png;
    private long _next = PhotoContainers.PngSignatureLength;
    private bool _ended;

    public PngChunk Current { get; private set; }

    public readonly PngChunkEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_ended || _next + PhotoContainers.PngChunkFraming > _png.Length)
        {
            return false;
        }

        var chunk = _png[(int)_next..];
        long length = BinaryPrimitives.ReadUInt32BigEndian(chunk);
        if (PhotoContainers.PngChunkFraming + length > chunk.Length)
        {
            return false;
        }

        var size = PhotoContainers.PngChunkFraming + (int)length;
        Current = new PngChunk(chunk[..size]);
        _ended = Current.Type.SequenceEqual("IEND"u8);
        _next += size;
        return true;
    }
}

/// <param name="bytes">The whole chunk: length, type, data and CRC.</param>
internal readonly ref struct PngChunk(ReadOnlySpan<byte> bytes)
{
    public ReadOnlySpan<byte> Bytes { get; } = bytes;

    public ReadOnlySpan<byte> Type => Bytes.Slice(4, 4);

    public ReadOnlySpan<byte> Data => Bytes[8..^4];
}

internal ref struct RiffChunkEnumerator(ReadOnlySpan<byte> riff)
{
    private readonly ReadOnlySpan<byte> _riff = riff;
    private long _next = PhotoContainers.RiffHeaderLength;

    public RiffChunk Current { get; private set; }

    public readonly RiffChunkEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_next + PhotoContainers.RiffChunkHeaderLength > _riff.Length)
        {
            return false;
        }

        var chunk = _riff[(int)_next..];
        long size = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
        if (PhotoContainers.RiffChunkHeaderLength + size > chunk.Length)
        {
            return false;
        }

        // Payloads are padded to an even size; a missing pad byte at the very end is tolerated, as libwebp does.
        var padded = (int)Math.Min(chunk.Length, PhotoContainers.RiffChunkHeaderLength + size + (size & 1));
        Current = new RiffChunk(chunk[..padded], (int)size);
        _next += padded;
        return true;
    }
}

/// <param name="bytes">The whole chunk: FourCC, size, payload and its pad byte.</param>
/// <param name="size">The payload's size, without the pad byte.</param>
internal readonly ref struct RiffChunk(ReadOnlySpan<byte> bytes, int size)
{
    public ReadOnlySpan<byte> Bytes { get; } = bytes;

    public ReadOnlySpan<byte> FourCc => Bytes[..4];

    public ReadOnlySpan<byte> Payload => Bytes.Slice(PhotoContainers.RiffChunkHeaderLength, size);
}
