using System.Buffers.Binary;
using Fidamia.Core.Errors;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Imaging;
using Fidamia.Tests;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using Xunit.Abstractions;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

/// <summary>
/// Metadata the service does not use must not cost more than a small bound, whatever it inflates to or however many
/// segments it is split over: each hostile photo here is a valid 64 x 48 photo with EXIF (orientation 6, a position
/// and a time) plus the hostile metadata, and must decode with its EXIF read while the calling thread allocates no
/// more than <see cref="MaxManagedBytes"/>. Measured before the fix: ImageSharp inflated a 300 MB zTXt or iTXt into
/// a list, an array and a UTF-16 string, 4.5 GB allocated in the inspection and as much again in its own decode
/// (9.1 GB, 14-22 s); it grew JPEG profiles segment by segment (3.0 GB for 19 MB of segments) and read 16 MB of WebP
/// ICCP and XMP (34 MB). After it: the same as the plain photo (5-70 KB) but for the PNG chunk's compressed bytes,
/// which ImageSharp reads (not inflates) in each pass. The iCCP case passed before too: ImageSharp 2.1.13 skips iCCP
/// and libpng stops at its 8 MB chunk limit; it stays so that neither can regress unnoticed.
/// </summary>
public sealed class MetadataBombTests(ITestOutputHelper output)
{
    /// <summary>A plain decode of these photos allocates under 100 KB on the calling thread; the bombs cost GBs.</summary>
    private const long MaxManagedBytes = 8L * 1024 * 1024;

    private static readonly TensorSpec Target = RawSpec(224, 224);

    private static readonly GeoPoint Marseille = new(43.2965, 5.3698);
    private static readonly DateTimeOffset TakenAt = new(2024, 5, 17, 9, 30, 0, TimeSpan.Zero);

    public static TheoryData<string> Decoders => [ImagingOptions.ImageSharpDecoder, ImagingOptions.SkiaDecoder];

    public static TheoryData<string, string> PngBombs => new()
    {
        { "zTXt", ImagingOptions.ImageSharpDecoder },
        { "zTXt", ImagingOptions.SkiaDecoder },
        { "iTXt", ImagingOptions.ImageSharpDecoder },
        { "iTXt", ImagingOptions.SkiaDecoder },
        { "iCCP", ImagingOptions.ImageSharpDecoder },
        { "iCCP", ImagingOptions.SkiaDecoder },
    };

    [Theory]
    [MemberData(nameof(PngBombs))]
    public void Decode_PngWhoseChunkInflatesTo300MB_DecodesWithinBoundAndReadsExif(string chunk, string decoder)
    {
        var plain = EncodeExifPhoto(new PngEncoder());
        var bomb = MetadataBombs.InsertPngChunks(plain, MetadataBombs.Bomb(chunk));
        output.WriteLine($"{chunk}: {bomb.Length / 1024} KB inflating to {MetadataBombs.InflatedBytes >> 20} MB");

        AssertDecodesWithinBound(decoder, plain, bomb);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decode_JpegWithNineteenMBOfIccAndXmpSegmentsAfterItsExif_DecodesWithinBoundAndReadsTheFirstExif(string decoder)
    {
        var plain = EncodeExifPhoto(new JpegEncoder());

        // A second EXIF claiming another place comes after the photo's own: the first one is the photo's.
        var elsewhere = new ExifProfile();
        elsewhere.SetValue(ExifTag.GPSLatitude, [new Rational(10, 1), new Rational(0, 1), new Rational(0, 1)]);
        elsewhere.SetValue(ExifTag.GPSLatitudeRef, "S");
        elsewhere.SetValue(ExifTag.GPSLongitude, [new Rational(10, 1), new Rational(0, 1), new Rational(0, 1)]);
        elsewhere.SetValue(ExifTag.GPSLongitudeRef, "W");
        const int Count = 150;
        var segments = new List<(byte, byte[])> { MetadataBombs.ExifSegment(elsewhere.ToByteArray()) };
        for (var i = 1; i <= Count; i++)
        {
            segments.Add(MetadataBombs.XmpSegment());
            segments.Add(MetadataBombs.IccSegment(i, Count));
        }

        var bomb = MetadataBombs.InsertJpegSegments(plain, segments);
        output.WriteLine($"{bomb.Length / 1024} KB, {segments.Count} segments");

        AssertDecodesWithinBound(decoder, plain, bomb);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decode_JpegWithXmpAndIccSegmentsBeforeItsExif_ReadsTheExif(string decoder)
    {
        var plain = EncodeExifPhoto(new JpegEncoder());
        var segment = plain.AsSpan().IndexOf("Exif\0\0"u8) - 4; // marker and length precede the identifier
        var length = BinaryPrimitives.ReadUInt16BigEndian(plain.AsSpan(segment + 2));
        var exifPayload = plain.AsSpan(segment + 4, length - 2).ToArray();
        byte[] withoutExif = [.. plain.AsSpan(0, segment), .. plain.AsSpan(segment + 2 + length)];

        // XMP, ICC and APP13 before the EXIF, as Adobe writers order them: the walk must not stop at the first APP1.
        var photo = MetadataBombs.InsertJpegSegments(withoutExif, [MetadataBombs.XmpSegment(), MetadataBombs.IccSegment(1, 1), (0xED, new byte[100]), (0xE1, exifPayload)]);

        using var decoded = Create(decoder).Decode(photo, Target, CancellationToken.None);

        AssertExifRead(decoded.Metadata);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decode_WebpWithEightMBIccpAndXmpChunks_DecodesWithinBoundAndReadsExif(string decoder)
    {
        var plain = EncodeExifPhoto(new WebpEncoder());
        var chunks = MetadataBombs.WebpChunks(plain);
        Assert.Equal("VP8X", chunks[0].FourCc);
        Assert.Contains(chunks, c => c.FourCc == "EXIF");
        var header = chunks[0].Payload.ToArray();
        header[0] |= 0x20 | 0x04; // ICC profile and XMP flags
        const int Size = 8 * 1024 * 1024;
        var bomb = MetadataBombs.Webp(
        [
            ("VP8X", header),
            ("ICCP", new byte[Size]), // before the image data, as the container requires
            .. chunks.Skip(1),
            ("XMP ", new byte[Size]),
        ]);

        AssertDecodesWithinBound(decoder, plain, bomb);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decode_PngWithMoreCompressedTextChunksThanTheLimit_IsRefused(string decoder)
    {
        // libpng, under Skia, inflates every zTXt and compressed iTXt up to 8 MB each, for up to 1000 chunks: about
        // 1.7 s of CPU per photo, measured; the limit keeps that to a few dozen milliseconds.
        var text = MetadataBombs.ZlibZeros(16);
        var chunks = Enumerable.Range(0, PhotoMetadataBlocks.MaxCompressedTextChunks + 1)
            .Select(i => i % 2 == 0 ? MetadataBombs.ZTxt(text) : MetadataBombs.CompressedITxt(text))
            .ToArray();
        var photo = MetadataBombs.InsertPngChunks(EncodeExifPhoto(new PngEncoder()), chunks);

        AssertRefused(() => Create(decoder).Decode(photo, Target, CancellationToken.None), "compressed text chunks");
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decode_PngWithCompressedTextChunksUpToTheLimitAndPlainText_IsAccepted(string decoder)
    {
        var text = MetadataBombs.ZlibZeros(16);
        var chunks = Enumerable.Range(0, PhotoMetadataBlocks.MaxCompressedTextChunks)
            .Select(_ => MetadataBombs.ZTxt(text))
            .Append(("tEXt", "Software\0Fidamia tests"u8.ToArray()))
            .Append(("iTXt", "Title\0\0\0\0\0uncompressed"u8.ToArray()))
            .ToArray();
        var photo = MetadataBombs.InsertPngChunks(EncodeExifPhoto(new PngEncoder()), chunks);

        using var decoded = Create(decoder).Decode(photo, Target, CancellationToken.None);

        AssertExifRead(decoded.Metadata);
    }

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Decode_PngWithExifLargerThanAJpegSegmentCanHold_IsDecodedWithoutIt(string decoder)
    {
        // Past 64 KB an EXIF block is no camera's (JPEG caps it there), and ImageSharp's reader spends about 1.3 s
        // on 786 KB of entries (measured), so it is skipped, not parsed.
        using var image = Noise(64, 48, seed: 21);
        var png = Encode(image, new PngEncoder());
        var exif = ExifProfileOf().ToByteArray()!;
        var padded = exif.Concat(new byte[(64 * 1024) + 1 - exif.Length]).ToArray();
        var photo = MetadataBombs.InsertPngChunks(png, ("eXIf", padded));

        using var decoded = Create(decoder).Decode(photo, Target, CancellationToken.None);

        Assert.Equal((64, 48), (decoded.Metadata.Width, decoded.Metadata.Height));
        Assert.Null(decoded.Metadata.ExifLocation);
        Assert.Null(decoded.Metadata.TakenAt);
    }

    [Fact]
    public void Decode_CorruptedPhotosWithMetadata_NeverThrowAnythingButInvalidReport()
    {
        var zTxt = MetadataBombs.ZTxt(MetadataBombs.ZlibZeros(4096));
        var originals = new[]
        {
            MetadataBombs.InsertPngChunks(EncodeExifPhoto(new PngEncoder()), zTxt, MetadataBombs.Iccp(MetadataBombs.ZlibZeros(4096))),
            MetadataBombs.InsertJpegSegments(EncodeExifPhoto(new JpegEncoder()), [MetadataBombs.XmpSegment(), MetadataBombs.IccSegment(1, 1)]),
            EncodeExifPhoto(new WebpEncoder()),
        };
        var decoder = Decoder();
        var random = new Random(22);
        var outcomes = 0;

        foreach (var original in originals)
        {
            for (var round = 0; round < 200; round++)
            {
                var bytes = (byte[])original.Clone();

                // Mostly in the headers and metadata, where the walk over segments and chunks runs.
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(Math.Min(bytes.Length, 512))] = (byte)random.Next(256);
                }

                try
                {
                    using var photo = decoder.Decode(bytes, Target, CancellationToken.None);
                }
                catch (InvalidReportException ex)
                {
                    Assert.Equal("photo", Assert.Single(ex.Violations).Field);
                }

                outcomes++;
            }
        }

        Assert.Equal(600, outcomes);
    }

    /// <summary>
    /// Decodes the plain photo first (JIT and one-time set-up allocate too), then the hostile one, counting what the
    /// calling thread allocates (ImageSharp's pooled allocator is replaced by a counting one for the ImageSharp decoder).
    /// </summary>
    private void AssertDecodesWithinBound(string decoder, byte[] plain, byte[] hostile)
    {
        var allocator = new CountingMemoryAllocator();
        var photoDecoder = Create(decoder, allocator);
        using (var warm = photoDecoder.Decode(plain, Target, CancellationToken.None))
        {
            AssertExifRead(warm.Metadata);
        }

        var plainBytes = ManagedBytes(() => photoDecoder.Decode(plain, Target, CancellationToken.None).Dispose());
        var counted = allocator.AllocatedBytes;
        PhotoMetadata? metadata = null;
        var hostileBytes = ManagedBytes(() =>
        {
            using var photo = photoDecoder.Decode(hostile, Target, CancellationToken.None);
            metadata = photo.Metadata;
        });
        output.WriteLine($"{decoder}: plain photo {plainBytes / 1024} KB allocated, hostile photo {hostileBytes / 1024} KB; ImageSharp allocator {(allocator.AllocatedBytes - counted) / 1024} KB");

        Assert.NotNull(metadata);
        AssertExifRead(metadata);
        Assert.InRange(hostileBytes, 0, MaxManagedBytes);
        Assert.InRange(allocator.AllocatedBytes - counted, 0, MaxManagedBytes);
    }

    private static long ManagedBytes(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static IPhotoDecoder Create(string decoder, CountingMemoryAllocator? allocator = null) => decoder == ImagingOptions.ImageSharpDecoder
        ? Decoder(allocator: allocator)
        : new SkiaPhotoDecoder(Options.Create(new ImagingOptions()));

    /// <summary>Stored 64 x 48 with orientation 6, so a decoder that lost the EXIF reports 64 x 48 instead of 48 x 64.</summary>
    private static byte[] EncodeExifPhoto(SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var image = Noise(64, 48, seed: 20);
        image.Metadata.ExifProfile = ExifProfileOf();
        return Encode(image, encoder);
    }

    private static ExifProfile ExifProfileOf()
    {
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Orientation, (ushort)6);
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(43, 1), new Rational(17, 1), new Rational(4740, 100)]);
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLongitude, [new Rational(5, 1), new Rational(22, 1), new Rational(1128, 100)]);
        exif.SetValue(ExifTag.GPSLongitudeRef, "E");
        exif.SetValue(ExifTag.DateTimeOriginal, TakenAt.ToString("yyyy:MM:dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        return exif;
    }

    private static void AssertExifRead(PhotoMetadata metadata)
    {
        Assert.Equal((48, 64), (metadata.Width, metadata.Height));
        var location = Assert.NotNull(metadata.ExifLocation);
        Assert.Equal(Marseille.Lat, location.Lat, 1e-4);
        Assert.Equal(Marseille.Lon, location.Lon, 1e-4);
        Assert.Equal(TakenAt, metadata.TakenAt);
    }
}
