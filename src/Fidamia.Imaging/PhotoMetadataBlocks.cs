using System.Buffers.Binary;

namespace Fidamia.Imaging;

/// <summary>
/// Finds the one metadata block the service reads, EXIF, by walking the container's own framing: the first APP1
/// "Exif" segment before a JPEG's first scan, the first PNG eXIf chunk, the first EXIF chunk of an extended WebP.
/// ImageSharp decodes with metadata ignored (<see cref="ImagingConfiguration"/> says what its decoders would do with
/// it otherwise), so this is where EXIF comes from. The walk reads lengths and a few identifier bytes: it copies
/// nothing and inflates nothing, and the block it returns is at most <see cref="MaxExifBytes"/> long.
/// </summary>
internal static class PhotoMetadataBlocks
{
    /// <summary>
    /// EXIF is skipped past this size: 64 KB is what a JPEG APP1 segment can hold, so no camera writes more, while
    /// ImageSharp's EXIF reader's time grows with the entries (see the README's photo metadata section).
    /// </summary>
    public const int MaxExifBytes = 64 * 1024;

    /// <summary>
    /// Skia's libpng inflates every zTXt and compressed iTXt, up to 8 MB apiece and for up to 1000 chunks: bounded in
    /// memory, not in time (see the README). Writers put a handful in a photo (ImageMagick's raw profiles and dates);
    /// sixteen keeps the worst case to tens of milliseconds.
    /// </summary>
    public const int MaxCompressedTextChunks = 16;

    private const int PngSignatureLength = 8;
    private const int PngChunkFraming = 12; // length (4) | type (4) | data | CRC (4)
    private const int RiffHeaderLength = 12; // "RIFF" | size (4) | "WEBP"
    private const int RiffChunkHeaderLength = 8; // FourCC | size (4)

    /// <summary>The EXIF block (starting at its TIFF header, as ImageSharp's ExifProfile reads it); empty when there is none or it is too large.</summary>
    public static ReadOnlySpan<byte> FindExif(ReadOnlySpan<byte> photo, PhotoFormat format)
    {
        var block = format switch
        {
            PhotoFormat.Jpeg => FindJpegExif(photo),
            PhotoFormat.Png => FindPngChunk(photo, "eXIf"u8),
            PhotoFormat.Webp => FindWebpExif(photo),
            _ => [],
        };
        return block.Length <= MaxExifBytes ? block : [];
    }

    /// <summary>The zTXt chunks and the iTXt chunks with their compression flag set, each of which libpng inflates.</summary>
    public static int CountCompressedPngText(ReadOnlySpan<byte> png)
    {
        var count = 0;
        foreach (var chunk in PngChunks(png))
        {
            if (chunk.Type.SequenceEqual("zTXt"u8) || (chunk.Type.SequenceEqual("iTXt"u8) && IsCompressedInternationalText(chunk.Data)))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The payload of the first APP1 segment that starts "Exif\0\0", without those six bytes; EXIF comes before the first scan.</summary>
    private static ReadOnlySpan<byte> FindJpegExif(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> identifier = "Exif\0\0"u8;
        var position = 2; // after SOI
        while (true)
        {
            // Like libjpeg (and PhotoCompleteness), tolerate stray bytes between segments: the next marker is the next 0xFF.
            var next = position < data.Length ? data[position..].IndexOf((byte)0xFF) : -1;
            if (next < 0)
            {
                return [];
            }

            position += next;
            while (position < data.Length && data[position] == 0xFF)
            {
                position++; // fill bytes
            }

            if (position >= data.Length)
            {
                return [];
            }

            var marker = data[position++];
            if (marker is 0xDA or 0xD9)
            {
                return []; // start of scan or end of image: no EXIF before the pixels
            }

            if (marker is 0x00 or 0x01 or (>= 0xD0 and <= 0xD8))
            {
                continue; // no length field
            }

            if (position + 2 > data.Length)
            {
                return [];
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (length < 2 || position + length > data.Length)
            {
                return [];
            }

            var payload = data.Slice(position + 2, length - 2);
            if (marker == 0xE1 && payload.StartsWith(identifier))
            {
                return payload[identifier.Length..];
            }

            position += length;
        }
    }

    private static ReadOnlySpan<byte> FindPngChunk(ReadOnlySpan<byte> png, ReadOnlySpan<byte> wanted)
    {
        foreach (var chunk in PngChunks(png))
        {
            if (chunk.Type.SequenceEqual(wanted))
            {
                return chunk.Data;
            }
        }

        return [];
    }

    /// <summary>The first EXIF chunk of an extended (VP8X) WebP, the only kind that carries metadata.</summary>
    private static ReadOnlySpan<byte> FindWebpExif(ReadOnlySpan<byte> webp)
    {
        if (webp.Length < RiffHeaderLength + RiffChunkHeaderLength || !webp.StartsWith("RIFF"u8) || !webp.Slice(8, 4).SequenceEqual("WEBP"u8)
            || !webp.Slice(RiffHeaderLength, 4).SequenceEqual("VP8X"u8))
        {
            return [];
        }

        // The RIFF size counts everything after its 8-byte header; bytes past it are not part of the file.
        var end = (int)Math.Min(webp.Length, 8L + BinaryPrimitives.ReadUInt32LittleEndian(webp[4..]));
        long position = RiffHeaderLength;
        while (position + RiffChunkHeaderLength <= end)
        {
            var chunk = webp[(int)position..end];
            long size = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
            if (RiffChunkHeaderLength + size > chunk.Length)
            {
                return [];
            }

            if (chunk.StartsWith("EXIF"u8))
            {
                return chunk.Slice(RiffChunkHeaderLength, (int)size);
            }

            position += RiffChunkHeaderLength + size + (size & 1); // payloads are padded to an even size
        }

        return [];
    }

    /// <summary>iTXt: keyword (1-79 bytes), NUL, compression flag (1 = compressed), method, language, translated keyword, text.</summary>
    private static bool IsCompressedInternationalText(ReadOnlySpan<byte> data)
    {
        var keywordEnd = data.IndexOf((byte)0);
        return keywordEnd >= 1 && keywordEnd + 1 < data.Length && data[keywordEnd + 1] != 0;
    }

    /// <summary>The chunks up to IEND, or up to the first whose length runs past the data.</summary>
    private static PngChunkEnumerator PngChunks(ReadOnlySpan<byte> png) => new(png);

    private ref struct PngChunkEnumerator(ReadOnlySpan<byte> png)
    {
        private readonly ReadOnlySpan<byte> _png = png;
        private long _next = PngSignatureLength;

        public PngChunk Current { get; private set; }

        public readonly PngChunkEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_next + PngChunkFraming > _png.Length)
            {
                return false;
            }

            var chunk = _png[(int)_next..];
            long length = BinaryPrimitives.ReadUInt32BigEndian(chunk);
            var type = chunk.Slice(4, 4);
            if (type.SequenceEqual("IEND"u8) || PngChunkFraming + length > chunk.Length)
            {
                return false;
            }

            Current = new PngChunk(type, chunk.Slice(8, (int)length));
            _next += PngChunkFraming + length;
            return true;
        }
    }

    private readonly ref struct PngChunk(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        public ReadOnlySpan<byte> Type { get; } = type;

        public ReadOnlySpan<byte> Data { get; } = data;
    }
}
