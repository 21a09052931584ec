using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using Fidamia.Core.Errors;
using Fidamia.Core.Imaging;
using Fidamia.Imaging;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace Fidamia.UnitTests.Imaging;

/// <summary>Builds test photos in memory and the decoders that read them.</summary>
internal static class TestImages
{
    public static ImageSharpPhotoDecoder Decoder(ImagingOptions? options = null, MemoryAllocator? allocator = null) =>
        new(Options.Create(options ?? new ImagingOptions()), ImagingConfiguration.Create(allocator));

    /// <summary>Writes pixels as they are: no scaling, no normalisation.</summary>
    public static TensorSpec RawSpec(int width, int height, ResizeMode mode = ResizeMode.Stretch) =>
        new(width, height, ColorOrder.Rgb, 1f, [0f, 0f, 0f], [1f, 1f, 1f], mode);

    public static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>Random pixels, so encoders cannot shrink the file to a few bytes and truncation lands in pixel data.</summary>
    public static Image<Rgb24> Noise(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }

        return image;
    }

    public static byte[] Truncate(byte[] bytes, double fraction) => bytes[..(int)(bytes.Length * fraction)];

    public static InvalidReportException AssertRefused(Action decode, string? messagePart = null)
    {
        var ex = Assert.Throws<InvalidReportException>(decode);
        var violation = Assert.Single(ex.Violations);
        Assert.Equal("photo", violation.Field);
        if (messagePart is not null)
        {
            Assert.Contains(messagePart, violation.Description, StringComparison.Ordinal);
        }

        return ex;
    }

    /// <summary>
    /// A valid PNG whose header claims <paramref name="width"/> x <paramref name="height"/> RGB pixels while its
    /// IDAT holds a single compressed row: the shape of a decompression bomb.
    /// </summary>
    public static byte[] CraftPng(uint width, uint height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);

        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: truecolour
        WriteChunk(png, "IHDR", header);

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(new byte[1 + (3 * 1024)]);
        }

        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>
    /// Re-chunks a PNG's image data into IDAT chunks of at most <paramref name="size"/> bytes, as cameras and
    /// libpng write them; ImageSharp writes one, and drops an incomplete last chunk, which hides truncation.
    /// </summary>
    public static byte[] SplitIdat(byte[] png, int size)
    {
        using var data = new MemoryStream();
        using var output = new MemoryStream();
        output.Write(png.AsSpan(0, 8));
        var position = 8;
        while (position < png.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position));
            var type = System.Text.Encoding.ASCII.GetString(png, position + 4, 4);
            var body = png.AsSpan(position + 8, length);
            if (type == "IDAT")
            {
                data.Write(body);
            }
            else
            {
                if (type == "IEND")
                {
                    var all = data.ToArray();
                    for (var offset = 0; offset < all.Length; offset += size)
                    {
                        WriteChunk(output, "IDAT", all[offset..Math.Min(all.Length, offset + size)]);
                    }
                }

                WriteChunk(output, type, body.ToArray());
            }

            position += 12 + length;
        }

        return output.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        png.Write(word);

        var typeAndData = new byte[4 + data.Length];
        for (var i = 0; i < 4; i++)
        {
            typeAndData[i] = (byte)type[i];
        }

        data.CopyTo(typeAndData, 4);
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        png.Write(word);
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected 0xEDB88320) as PNG chunks use it.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}

/// <summary>Counts every byte ImageSharp asks for, so a test can prove nothing large was allocated.</summary>
internal sealed class CountingMemoryAllocator : MemoryAllocator
{
    private readonly SimpleGcMemoryAllocator _inner = new();
    private long _allocatedBytes;

    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public override IMemoryOwner<T> Allocate<T>(int length, AllocationOptions options = AllocationOptions.None)
    {
        Interlocked.Add(ref _allocatedBytes, (long)length * Unsafe.SizeOf<T>());
        return _inner.Allocate<T>(length, options);
    }

    // Large images become several buffers of at most this size; each still passes through Allocate.
    protected override int GetBufferCapacityInBytes() => 4 * 1024 * 1024;
}

/// <summary>Memory that is not an array, so the decoder must read it without MemoryMarshal.TryGetArray.</summary>
internal sealed class NonArrayMemory(byte[] bytes) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => bytes;

    public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("not pinned in these tests");

    public override void Unpin()
    {
    }

    protected override bool TryGetArray(out ArraySegment<byte> segment)
    {
        segment = default;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
    }
}
