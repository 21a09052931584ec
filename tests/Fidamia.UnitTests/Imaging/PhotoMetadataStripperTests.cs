using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Fidamia.Imaging;
using Fidamia.Tests;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.Metadata.Profiles.Xmp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;
using Xunit.Abstractions;
using static Fidamia.UnitTests.Imaging.TestImages;

namespace Fidamia.UnitTests.Imaging;

/// <summary>
/// The stored photo keeps its pixels and loses its metadata: each stripped photo decodes, in ImageSharp (as the service
/// configures it) and in Skia (as the service asks it: no colour conversion), to exactly the original's pixels, and
/// ImageSharp reading it with metadata on finds no EXIF, XMP, IPTC or text.
/// </summary>
public sealed class PhotoMetadataStripperTests(ITestOutputHelper output)
{
    /// <summary>ImageSharp with its metadata readers on, unlike the service: what a later reader of the store would see.</summary>
    private static readonly Configuration WithMetadata =
        new(new JpegConfigurationModule(), new PngConfigurationModule(), new WebpConfigurationModule());

    private static readonly byte[] Trailing = Encoding.ASCII.GetBytes("lat=50.8715 lon=4.6970 appended after the end");

    public static TheoryData<string> SharedPhotos()
    {
        var names = new TheoryData<string>();
        if (SharedData.IsAvailable)
        {
            foreach (var path in Directory.EnumerateFiles(SharedData.PhotosDirectory).Order(StringComparer.Ordinal))
            {
                names.Add(Path.GetFileName(path));
            }
        }

        return names;
    }

    public static TheoryData<string> Formats => ["jpeg", "png", "webp-lossy", "webp-lossless"];

    [SharedDataFact]
    public void Strip_LeuvenJpegWithGps_LeavesNoMetadataAndTheSamePixels()
    {
        var original = File.ReadAllBytes(SharedData.Photo("leuvenA.jpg"));
        var before = Image.Identify(WithMetadata, new MemoryStream(original));
        Assert.NotNull(before.Metadata.ExifProfile?.GetValue(ExifTag.GPSLatitude));
        Assert.NotNull(before.Metadata.XmpProfile);
        Assert.NotNull(before.Metadata.IptcProfile);

        var stripped = Strip(original);

        output.WriteLine($"{original.Length} bytes, stripped {stripped.Length}");
        Assert.Equal([0xE0, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA, 0xD9], JpegMarkers(stripped));
        Assert.Equal(-1, stripped.AsSpan().IndexOf("Exif"u8));
        Assert.Equal(-1, stripped.AsSpan().IndexOf("ns.adobe.com"u8));
        Assert.Equal(-1, stripped.AsSpan().IndexOf("Photoshop"u8));
        var after = Image.Identify(WithMetadata, new MemoryStream(stripped));
        Assert.Null(after.Metadata.ExifProfile);
        Assert.Null(after.Metadata.XmpProfile);
        Assert.Null(after.Metadata.IptcProfile);
        Assert.Null(after.Metadata.IccProfile);
        AssertSamePixels(original, stripped);

        // The service still accepts the stored photo, and finds no position in it.
        using var decoded = Decoder().Decode(stripped, RawSpec(224, 224), CancellationToken.None);
        Assert.Null(decoded.Metadata.ExifLocation);
        Assert.Null(decoded.Metadata.TakenAt);
        Assert.Equal((before.Width, before.Height), (decoded.Metadata.Width, decoded.Metadata.Height));
    }

    [SharedDataTheory]
    [MemberData(nameof(SharedPhotos))]
    public void Strip_SharedPhoto_DecodesToTheSamePixels(string name)
    {
        var original = File.ReadAllBytes(SharedData.Photo(name));

        var stripped = Strip(original);

        output.WriteLine($"{name}: {original.Length} bytes, stripped {stripped.Length}");
        Assert.InRange(stripped.Length, 1, original.Length);
        AssertSamePixels(original, stripped);
        AssertNoMetadata(stripped);
        using var decoded = Decoder().Decode(stripped, RawSpec(224, 224), CancellationToken.None);
        Assert.Null(decoded.Metadata.ExifLocation);
    }

    /// <summary>Photos whose only blocks are the ones kept (JFIF; sBIT) come out as they went in.</summary>
    [SharedDataTheory]
    [InlineData("building.jpg")]
    [InlineData("brick.png")]
    [InlineData("graf1.png")]
    public void Strip_SharedPhotoWithoutMetadata_IsByteIdentical(string name)
    {
        var original = File.ReadAllBytes(SharedData.Photo(name));

        Assert.Equal(original, Strip(original));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Strip_PhotoWithoutMetadata_IsByteIdentical(string format)
    {
        var plain = EncodePlain(format);

        Assert.Equal(plain, Strip(plain));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Strip_BytesAfterTheEnd_AreDropped(string format)
    {
        var plain = EncodePlain(format);

        Assert.Equal(plain, Strip([.. plain, .. Trailing]));
    }

    /// <summary>
    /// Every place a JPEG can hide metadata, built around a plain photo: a JFIF thumbnail, APPn and COM segments
    /// before the frame and between the scan and EOI, an Adobe segment longer than its fields, stray and fill bytes,
    /// and bytes after EOI. What must stay (JFIF, Adobe's fields, standalone TEM and RST markers) stays, byte for byte.
    /// </summary>
    [Fact]
    public void Strip_JpegWithMetadataEverywhere_KeepsOnlyTheImageSegments()
    {
        var plain = EncodePlain("jpeg");
        Assert.Equal([0xFF, 0xE0, 0x00, 0x10], plain[2..6]); // ImageSharp writes JFIF first, without a thumbnail
        Assert.Equal([0x00, 0x00], plain[18..20]);
        var jfif = plain[2..20];
        var body = plain[20..^2]; // tables, frame, scan
        Assert.Equal([0xFF, 0xD9], plain[^2..]);

        byte[] adobeFields = [.. "Adobe"u8, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01];
        byte[] thumbnail = [0xC0, 0xFF, 0xEE, 0x12, 0x34, 0x56]; // 2 x 1 RGB
        byte[] tem = [0xFF, 0x01];
        byte[] rst = [0xFF, 0xD0];
        byte[] crafted =
        [
            .. plain[..2],
            .. Segment(0xE0, [.. plain[6..18], 2, 1, .. thumbnail]),
            .. Segment(0xE1, [.. "Exif\0\0"u8, .. GpsExif().ToByteArray()]),
            .. "stray"u8,
            .. Segment(0xEE, [.. adobeFields, .. "extra Adobe bytes"u8]),
            .. tem,
            0xFF, 0xFF, // fill bytes
            .. Segment(0xE2, [.. "ICC_PROFILE\0"u8, 1, 1, .. new byte[64]]),
            .. Segment(0xED, [.. "Photoshop 3.0\0"u8, .. new byte[32]]),
            .. Segment(0xEF, "private"u8.ToArray()),
            .. Segment(0xFE, "a comment naming the reporter"u8.ToArray()),
            .. rst,
            .. body,
            .. Segment(0xFE, "a comment after the scan"u8.ToArray()),
            .. Segment(0xE1, [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. "<x:xmpmeta/>"u8]),
            0xFF, 0xD9,
            .. Trailing,
        ];
        byte[] expected = [.. plain[..2], .. jfif, .. Segment(0xEE, adobeFields), .. tem, .. rst, .. body, 0xFF, 0xD9];

        Assert.Equal(expected, Strip(crafted));
    }

    /// <summary>
    /// ImageSharp writes the eXIf chunk; the text, time, profile and private chunks are inserted after IHDR, with gAMA
    /// among them, which stays.
    /// </summary>
    [Fact]
    public void Strip_PngWithTextExifTimeIccAndPrivateChunks_KeepsOnlyRenderingChunksWithTheirCrcs()
    {
        using var image = Noise(64, 48, seed: 31);
        image.Metadata.ExifProfile = GpsExif();
        var encoded = Encode(image, new PngEncoder());
        byte[] gamma = [0x00, 0x00, 0xB1, 0x8F];
        var crafted = MetadataBombs.InsertPngChunks(
            encoded,
            ("tEXt", "Author\0a citizen"u8.ToArray()),
            MetadataBombs.ZTxt(MetadataBombs.ZlibZeros(64)),
            MetadataBombs.CompressedITxt(MetadataBombs.ZlibZeros(64)),
            ("iTXt", "Title\0\0\0\0\0uncompressed"u8.ToArray()),
            ("tIME", [0x07, 0xE8, 5, 17, 9, 30, 0]),
            MetadataBombs.Iccp(MetadataBombs.ZlibZeros(128)),
            ("gAMA", gamma),
            ("prVt", "a writer's private data"u8.ToArray()));
        crafted = [.. crafted, .. Trailing];
        Assert.Contains("eXIf", PngChunkTypes(crafted));

        var stripped = Strip(crafted);

        var kept = PngChunkTypes(crafted)
            .Where(type => type is not ("tEXt" or "zTXt" or "iTXt" or "tIME" or "iCCP" or "eXIf" or "prVt"))
            .ToArray();
        Assert.Contains("gAMA", kept);
        Assert.Equal(kept, PngChunkTypes(stripped));
        Assert.Equal("IEND", PngChunkTypes(stripped)[^1]);
        AssertPngCrcs(stripped);
        AssertSamePixels(crafted, stripped);
        AssertNoMetadata(stripped);
    }

    /// <summary>
    /// ImageSharp writes the extended format with EXIF and XMP chunks; an ICCP chunk (before the image data, with its
    /// flag) and an unknown chunk are added by hand. Transparent pixels make the lossy encoder write ALPH and the alpha
    /// flag, which stay.
    /// </summary>
    [Theory]
    [InlineData(WebpFileFormatType.Lossy)]
    [InlineData(WebpFileFormatType.Lossless)]
    public void Strip_WebpWithExifXmpAndIcc_DropsThemClearsTheirFlagsAndRewritesTheRiffSize(WebpFileFormatType fileFormat)
    {
        using var image = new Image<Rgba32>(48, 32);
        var random = new Random(32);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (ref var pixel in rows.GetRowSpan(y))
                {
                    pixel = new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)(y < 8 ? 0 : 255));
                }
            }
        });
        image.Metadata.ExifProfile = GpsExif();
        image.Metadata.XmpProfile = new XmpProfile(Encoding.UTF8.GetBytes("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF/></x:xmpmeta>"));
        var chunks = MetadataBombs.WebpChunks(Encode(image, new WebpEncoder { FileFormat = fileFormat }));
        Assert.Equal("VP8X", chunks[0].FourCc);
        Assert.Contains(chunks, chunk => chunk.FourCc == "EXIF");
        Assert.Contains(chunks, chunk => chunk.FourCc == "XMP ");
        var header = chunks[0].Payload.ToArray();
        header[0] |= 0x20; // ICC profile
        var crafted = MetadataBombs.Webp(
        [
            ("VP8X", header),
            ("ICCP", new byte[131]),
            .. chunks.Skip(1),
            ("zzzz", "a writer's private data"u8.ToArray()),
        ]);
        crafted = [.. crafted, .. Trailing];

        var stripped = Strip(crafted);

        var strippedChunks = MetadataBombs.WebpChunks(stripped);
        var expected = chunks.Select(chunk => chunk.FourCc).Where(fourCc => fourCc is not ("EXIF" or "XMP ")).ToArray();
        Assert.Equal(expected, strippedChunks.Select(chunk => chunk.FourCc));
        Assert.Equal(header[0] & ~(0x20 | 0x08 | 0x04), strippedChunks[0].Payload[0]); // the alpha and animation flags stay
        Assert.Equal(header[1..], strippedChunks[0].Payload[1..]); // canvas size
        Assert.Equal((uint)(stripped.Length - 8), BinaryPrimitives.ReadUInt32LittleEndian(stripped.AsSpan(4)));
        AssertSamePixels(crafted, stripped);
        AssertNoMetadata(stripped);
    }

    public static TheoryData<string> Unstrippable =>
        ["empty", "random", "gif", "jpeg-cut", "png-cut", "webp-cut", "jpeg-segment-past-end", "webp-chunk-past-riff"];

    [Theory]
    [MemberData(nameof(Unstrippable))]
    public void Strip_NotAWholeJpegPngOrWebp_ThrowsAndWritesNothing(string kind)
    {
        byte[] bytes = kind switch
        {
            "empty" => [],
            "random" => [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251))],
            "gif" => EncodeGif(),
            "jpeg-cut" => Truncate(EncodePlain("jpeg"), 0.6),
            "png-cut" => Truncate(EncodePlain("png"), 0.6),
            "webp-cut" => Truncate(EncodePlain("webp-lossy"), 0.6),
            "jpeg-segment-past-end" => [0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, .. "Exif\0\0"u8],
            _ => WebpWithChunkPastRiff(),
        };
        var writer = new ArrayBufferWriter<byte>();

        var ex = Assert.Throws<InvalidDataException>(() => PhotoMetadataStripper.Strip(bytes, writer));

        output.WriteLine($"{kind}: {ex.Message}");
        Assert.Equal(0, writer.WrittenCount);
    }

    /// <summary>The stripper writes into the caller's buffer and allocates nothing itself, whatever the photo's size.</summary>
    [Fact]
    public void Strip_IntoAWriterSizedForThePhoto_AllocatesNothing()
    {
        using var image = Noise(400, 300, seed: 33);
        image.Metadata.ExifProfile = GpsExif();
        var photo = Encode(image, new JpegEncoder());
        var writer = new ArrayBufferWriter<byte>(photo.Length);
        PhotoMetadataStripper.Strip(photo, writer); // JIT
        writer.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        PhotoMetadataStripper.Strip(photo, writer);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{photo.Length} bytes in, {writer.WrittenCount} out, {allocated} bytes allocated");
        Assert.InRange(writer.WrittenCount, 1, photo.Length - 1);
        Assert.Equal(0, allocated);
    }

    private static byte[] Strip(byte[] photo)
    {
        var writer = new ArrayBufferWriter<byte>(photo.Length);
        PhotoMetadataStripper.Strip(photo, writer);
        Assert.InRange(writer.WrittenCount, 1, photo.Length);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] EncodePlain(string format)
    {
        using var image = Noise(64, 48, seed: 30);
        return Encode(image, format switch
        {
            "jpeg" => new JpegEncoder(),
            "png" => new PngEncoder(),
            "webp-lossy" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy },
            _ => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        });
    }

    private static byte[] EncodeGif()
    {
        using var image = Noise(16, 16, seed: 34);
        return Encode(image, new GifEncoder());
    }

    private static byte[] WebpWithChunkPastRiff()
    {
        var webp = EncodePlain("webp-lossless");
        byte[] crafted = [.. webp, .. "zzzz"u8, 0xFF, 0x00, 0x00, 0x00];
        BinaryPrimitives.WriteUInt32LittleEndian(crafted.AsSpan(4), (uint)(crafted.Length - 8));
        return crafted;
    }

    private static ExifProfile GpsExif()
    {
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(43, 1), new Rational(17, 1), new Rational(4740, 100)]);
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLongitude, [new Rational(5, 1), new Rational(22, 1), new Rational(1128, 100)]);
        exif.SetValue(ExifTag.GPSLongitudeRef, "E");
        exif.SetValue(ExifTag.Model, "a citizen's phone");
        return exif;
    }

    /// <summary>A JPEG segment: marker, big-endian length (counting itself), payload.</summary>
    private static byte[] Segment(byte marker, byte[] payload) =>
        [0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];

    private static List<byte> JpegMarkers(byte[] jpeg)
    {
        var markers = new List<byte>();
        foreach (var segment in PhotoContainers.JpegSegments(jpeg))
        {
            markers.Add(segment.Marker);
        }

        return markers;
    }

    private static List<string> PngChunkTypes(byte[] png)
    {
        var types = new List<string>();
        foreach (var chunk in PhotoContainers.PngChunks(png))
        {
            types.Add(Encoding.ASCII.GetString(chunk.Type));
        }

        return types;
    }

    private static void AssertPngCrcs(byte[] png)
    {
        foreach (var chunk in PhotoContainers.PngChunks(png))
        {
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(chunk.Bytes[^4..]), Crc32(chunk.Bytes[4..^4]));
        }
    }

    /// <summary>What ImageSharp finds with its metadata readers on: no EXIF, XMP, IPTC, ICC or PNG text.</summary>
    private static void AssertNoMetadata(byte[] photo)
    {
        var info = Image.Identify(WithMetadata, new MemoryStream(photo));
        Assert.Null(info.Metadata.ExifProfile);
        Assert.Null(info.Metadata.XmpProfile);
        Assert.Null(info.Metadata.IptcProfile);
        Assert.Null(info.Metadata.IccProfile);
        Assert.Empty(info.Metadata.GetPngMetadata().TextData);
    }

    private static void AssertSamePixels(byte[] original, byte[] stripped)
    {
        Assert.True(ImageSharpPixels(original).SequenceEqual(ImageSharpPixels(stripped)), "ImageSharp decodes other pixels");
        Assert.True(SkiaPixels(original).SequenceEqual(SkiaPixels(stripped)), "Skia decodes other pixels");
    }

    private static byte[] ImageSharpPixels(byte[] photo)
    {
        using var image = Image.Load<Rgba32>(ImagingConfiguration.Create(), photo);
        var pixels = new Rgba32[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return MemoryMarshal.AsBytes(pixels.AsSpan()).ToArray();
    }

    /// <summary>Decoded as the service's Skia decoder asks: RGBA, unpremultiplied, no colour space (so no profile applies).</summary>
    private static byte[] SkiaPixels(byte[] photo)
    {
        using var data = SKData.CreateCopy(photo);
        using var codec = SKCodec.Create(data);
        Assert.NotNull(codec);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[info.BytesSize];
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, pixels));
        return pixels;
    }
}
