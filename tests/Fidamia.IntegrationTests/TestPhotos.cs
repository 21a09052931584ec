using System.Buffers.Binary;
using Fidamia.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Fidamia.IntegrationTests;

/// <summary>Photos made on the spot from the shared ones (encoding is fine in tests: the server only decodes).</summary>
internal static class TestPhotos
{
    public static byte[] Shared(string name) => File.ReadAllBytes(SharedData.Photo(name));

    public static byte[] Truncated(string name, double keep) =>
        Shared(name).AsSpan(0, (int)(new FileInfo(SharedData.Photo(name)).Length * keep)).ToArray();

    public static byte[] Gif() => Encode(new GifEncoder());

    public static byte[] Tiff() => Encode(new TiffEncoder());

    /// <summary>Noise does not compress: a PNG over gRPC's 4 MB default receive limit.</summary>
    public static byte[] LargeNoisePng(int side)
    {
        using var image = new Image<Rgb24>(side, side);
        var random = new Random(42);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows.GetRowSpan(y)));
            }
        });
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder { CompressionLevel = PngCompressionLevel.NoCompression });
        return stream.ToArray();
    }

    /// <summary>A valid PNG header that claims <paramref name="side"/> x <paramref name="side"/> pixels, followed by a tiny IDAT and IEND.</summary>
    public static byte[] PngClaiming(int side)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, side);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), side);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // truecolour
        Chunk(stream, "IHDR", ihdr);
        Chunk(stream, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    /// <summary>Another shot of the scene of a shared photo (<see cref="Shots.Of"/>).</summary>
    public static byte[] Shot(string name, int seed) => Shots.Of(SharedData.Photo(name), seed);

    /// <summary>Views of one shared photo: crops and a mirror, for teaching the prototype memory.</summary>
    public static byte[] View(string name, int variant)
    {
        using var image = Image.Load<Rgb24>(SharedData.Photo(name));
        var w = image.Width;
        var h = image.Height;
        image.Mutate(x =>
        {
            switch (variant % 4)
            {
                case 0:
                    x.Crop(new Rectangle(0, 0, w * 4 / 5, h * 4 / 5));
                    break;
                case 1:
                    x.Crop(new Rectangle(w / 5, h / 5, w * 4 / 5, h * 4 / 5));
                    break;
                case 2:
                    x.Flip(FlipMode.Horizontal);
                    break;
                default:
                    x.Crop(new Rectangle(w / 10, h / 10, w * 8 / 10, h * 8 / 10));
                    break;
            }
        });
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    private static byte[] Encode(SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var image = new Image<Rgb24>(64, 48, new Rgb24(200, 30, 30));
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        stream.Write(header);
        stream.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(header.AsSpan(4), data));
        stream.Write(crc);
    }

    private static uint Crc32(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var part in new[] { type.ToArray(), data.ToArray() })
        {
            foreach (var b in part)
            {
                crc ^= b;
                for (var k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
                }
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
