using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;

namespace Fidamia.Tests;

/// <summary>
/// Photos whose metadata costs far more than its bytes: compressed PNG text and profiles that inflate to hundreds of
/// MB, and JPEG and WebP profiles split over many segments or chunks. Built from a valid photo, so only the metadata
/// is hostile. Shared by the unit tests (per decoder) and the end-to-end tests (the server's resident memory).
/// </summary>
internal static class MetadataBombs
{
    /// <summary>300 MB of zeros, about 300 KB compressed: the reported photos were "a few hundred KB".</summary>
    public const long InflatedBytes = 300L * 1024 * 1024;

    private static readonly ConcurrentDictionary<long, byte[]> Deflated = new();

    /// <summary>A zlib stream (as PNG's zTXt, iTXt and iCCP hold) of <paramref name="size"/> zero bytes; built once per size.</summary>
    public static byte[] ZlibZeros(long size = InflatedBytes) => Deflated.GetOrAdd(size, static size =>
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var block = new byte[1024 * 1024];
            for (long written = 0; written < size; written += block.Length)
            {
                zlib.Write(block, 0, (int)Math.Min(block.Length, size - written));
            }
        }

        return compressed.ToArray();
    });

    /// <summary>zTXt: keyword, NUL, compression method 0, zlib text.</summary>
    public static (string Type, byte[] Data) ZTxt(byte[] zlib, string keyword = "Comment") =>
        ("zTXt", [.. Encoding.Latin1.GetBytes(keyword), 0, 0, .. zlib]);

    /// <summary>iTXt with its compression flag set: keyword, NUL, flag 1, method 0, empty language, NUL, empty translation, NUL, zlib text.</summary>
    public static (string Type, byte[] Data) CompressedITxt(byte[] zlib, string keyword = "Description") =>
        ("iTXt", [.. Encoding.Latin1.GetBytes(keyword), 0, 1, 0, 0, 0, .. zlib]);

    /// <summary>iCCP: profile name, NUL, compression method 0, zlib profile.</summary>
    public static (string Type, byte[] Data) Iccp(byte[] zlib) => ("iCCP", [.. "ICC profile"u8, 0, 0, .. zlib]);

    public static (string Type, byte[] Data) Bomb(string chunk) => chunk switch
    {
        "zTXt" => ZTxt(ZlibZeros()),
        "iTXt" => CompressedITxt(ZlibZeros()),
        "iCCP" => Iccp(ZlibZeros()),
        _ => throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "zTXt, iTXt or iCCP"),
    };

    /// <summary>Inserts chunks right after IHDR, where encoders put text and profiles, before any eXIf or IDAT.</summary>
    public static byte[] InsertPngChunks(byte[] png, params (string Type, byte[] Data)[] chunks)
    {
        const int AfterHeader = 8 + 12 + 13; // signature, IHDR framing, IHDR data
        using var output = new MemoryStream();
        output.Write(png, 0, AfterHeader);
        foreach (var (type, data) in chunks)
        {
            WritePngChunk(output, type, data);
        }

        output.Write(png, AfterHeader, png.Length - AfterHeader);
        return output.ToArray();
    }

    public static void WritePngChunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        png.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, ~Crc32(Crc32(0xFFFFFFFFu, typeBytes), data));
        png.Write(word);
    }

    /// <summary>
    /// Inserts APP segments right after the first APP1 "Exif" segment (after SOI when there is none), so the
    /// photo's own EXIF stays the first one and everything inserted comes after it.
    /// </summary>
    public static byte[] InsertJpegSegments(byte[] jpeg, IEnumerable<(byte Marker, byte[] Payload)> segments)
    {
        var at = 2;
        for (var position = 2; position + 4 <= jpeg.Length && jpeg[position] == 0xFF && jpeg[position + 1] != 0xDA;)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(position + 2));
            var isExif = jpeg[position + 1] == 0xE1 && jpeg.AsSpan(position + 4).StartsWith("Exif\0\0"u8);
            position += 2 + length;
            if (isExif)
            {
                at = position;
                break;
            }
        }

        using var output = new MemoryStream();
        output.Write(jpeg, 0, at);
        foreach (var (marker, payload) in segments)
        {
            output.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
            output.Write(payload);
        }

        output.Write(jpeg, at, jpeg.Length - at);
        return output.ToArray();
    }

    /// <summary>Largest payload one JPEG segment carries (its 16-bit length counts itself).</summary>
    public const int JpegSegmentPayload = 65533;

    /// <summary>APP2 ICC_PROFILE chunk <paramref name="sequence"/> of <paramref name="count"/>, filled to the segment limit.</summary>
    public static (byte Marker, byte[] Payload) IccSegment(int sequence, int count)
    {
        var payload = new byte[JpegSegmentPayload];
        "ICC_PROFILE\0"u8.CopyTo(payload);
        payload[12] = (byte)sequence;
        payload[13] = (byte)count;
        return (0xE2, payload);
    }

    /// <summary>APP1 XMP packet filled to the segment limit.</summary>
    public static (byte Marker, byte[] Payload) XmpSegment()
    {
        var payload = new byte[JpegSegmentPayload];
        payload.AsSpan().Fill((byte)' ');
        "http://ns.adobe.com/xap/1.0/\0"u8.CopyTo(payload);
        return (0xE1, payload);
    }

    /// <summary>An APP1 "Exif" segment holding <paramref name="tiff"/> (a TIFF-headed EXIF block).</summary>
    public static (byte Marker, byte[] Payload) ExifSegment(byte[] tiff) => (0xE1, [.. "Exif\0\0"u8, .. tiff]);

    /// <summary>The chunks of a WebP file (FourCC and payload, without padding), after the RIFF header.</summary>
    public static List<(string FourCc, byte[] Payload)> WebpChunks(byte[] webp)
    {
        var chunks = new List<(string, byte[])>();
        for (var position = 12; position + 8 <= webp.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(position + 4));
            chunks.Add((Encoding.ASCII.GetString(webp, position, 4), webp.AsSpan(position + 8, size).ToArray()));
            position += 8 + size + (size & 1);
        }

        return chunks;
    }

    /// <summary>A RIFF WebP of the given chunks, padded to even sizes, with the RIFF size filled in.</summary>
    public static byte[] Webp(IEnumerable<(string FourCc, byte[] Payload)> chunks)
    {
        using var output = new MemoryStream();
        output.Write("RIFF\0\0\0\0WEBP"u8);
        Span<byte> size = stackalloc byte[4];
        foreach (var (fourCc, payload) in chunks)
        {
            output.Write(Encoding.ASCII.GetBytes(fourCc));
            BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)payload.Length);
            output.Write(size);
            output.Write(payload);
            if ((payload.Length & 1) != 0)
            {
                output.WriteByte(0);
            }
        }

        var bytes = output.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected 0xEDB88320) as PNG chunks use it; start with 0xFFFFFFFF, invert at the end.</summary>
    private static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return crc;
    }
}
