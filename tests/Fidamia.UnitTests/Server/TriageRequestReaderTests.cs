using System.Buffers;
using Fidamia.Protos.V1;
using Fidamia.Server.Grpc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Fidamia.UnitTests.Server;

public sealed class TriageRequestReaderTests
{
    // The service drops unknown fields: protobuf's parse with that one setting is the reference.
    private static readonly MessageParser<TriageRequest> Protobuf = TriageRequest.Parser.WithDiscardUnknownFields(true);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64 * 1024)]
    public void Read_GivesProtobufsMessage_WithThePhotoPooled(int segmentLength)
    {
        var request = Request(photoLength: 300_000);
        var bytes = request.ToByteArray();

        var read = TriageRequestReader.Read(Segmented(bytes, segmentLength));

        Assert.Equal(request, read);
        read.ReturnPhoto();
        Assert.True(read.Photo.IsEmpty, "a pooled photo is handed back, and the request left without it");
        Assert.Equal(request.ReportId, read.ReportId);
    }

    [Fact]
    public void Read_SmallMessage_IsProtobufsOwnParse()
    {
        var request = Request(photoLength: 1000);

        var read = TriageRequestReader.Read(new ReadOnlySequence<byte>(request.ToByteArray()));

        Assert.Equal(request, read);
        read.ReturnPhoto();
        Assert.Equal(request.Photo, read.Photo); // not pooled: nothing to hand back
    }

    [Fact]
    public void Read_PhotoFieldTwice_TheLastIsThePhoto_AndTheFieldsAroundItStay()
    {
        var first = ByteString.CopyFrom(Noise(100_000, seed: 1));
        var last = ByteString.CopyFrom(Noise(120_000, seed: 2));
        var bytes = Concat(
            new TriageRequest { Photo = first, ReportId = "a" }.ToByteArray(),
            new TriageRequest { Description = "between" }.ToByteArray(),
            new TriageRequest { Photo = last, DeclaredCategory = "graffiti" }.ToByteArray());

        var read = TriageRequestReader.Read(Segmented(bytes, 4096));

        Assert.Equal(Protobuf.ParseFrom(bytes), read);
        Assert.Equal(last, read.Photo);
        Assert.Equal(("a", "between", "graffiti"), (read.ReportId, read.Description, read.DeclaredCategory));
    }

    [Fact]
    public void Read_UnknownFieldsAndAPhotoNumberOfAnotherWireType_AreDropped_TheRestParsedAsProtobufParsesIt()
    {
        var output = new MemoryStream();
        var coded = new CodedOutputStream(output);
        coded.WriteTag(99, WireFormat.WireType.LengthDelimited);
        coded.WriteBytes(ByteString.CopyFrom(Noise(80_000, seed: 3)));
        coded.WriteTag(TriageRequest.PhotoFieldNumber, WireFormat.WireType.Varint);
        coded.WriteUInt64(12345);
        coded.WriteTag(100, WireFormat.WireType.Fixed64);
        coded.WriteFixed64(7);
        coded.WriteTag(101, WireFormat.WireType.Fixed32);
        coded.WriteFixed32(9);
        coded.Flush();
        var bytes = Concat(output.ToArray(), Request(photoLength: 70_000).ToByteArray());

        var read = TriageRequestReader.Read(Segmented(bytes, 1000));

        Assert.Equal(Protobuf.ParseFrom(bytes), read);
        Assert.Equal(70_000, read.Photo.Length);
        Assert.NotEqual(TriageRequest.Parser.ParseFrom(bytes), read); // which keeps them
        Assert.Equal(Request(photoLength: 70_000).CalculateSize(), read.CalculateSize());
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(200_000)]
    public void Read_AMessageOfSmallUnknownFields_CostsLittleMoreThanItsPhoto(int photoLength)
    {
        // 1.5 MB of three-byte unknown fields: protobuf keeps each as an object, many times its bytes.
        var output = new MemoryStream();
        var coded = new CodedOutputStream(output);
        for (var i = 0; i < 500_000; i++)
        {
            coded.WriteTag(99, WireFormat.WireType.Varint);
            coded.WriteUInt64(1);
        }

        coded.Flush();
        var bytes = Concat(output.ToArray(), Request(photoLength).ToByteArray());
        var payload = Segmented(bytes, 64 * 1024);
        var kept = Allocated(() => TriageRequest.Parser.ParseFrom(payload));

        var allocated = Allocated(() => TriageRequestReader.Read(payload).ReturnPhoto());

        Assert.True(kept > 5L * bytes.Length, $"protobuf keeping them: {kept} bytes for {bytes.Length}");
        Assert.InRange(allocated, 0, photoLength + (bytes.Length / 10));
    }

    [Fact]
    public void Read_MalformedMessages_FailAsProtobufFails()
    {
        var valid = Request(photoLength: 200_000).ToByteArray();
        var truncated = valid[..^3]; // inside reported_at
        var group = Concat(new byte[] { (5 << 3) | 3 }, valid); // a start-group tag: a group never ends
        var badLength = Concat(valid, new byte[] { (9 << 3) | 2, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F });
        var zeroTag = Concat(valid, new byte[] { 0, 1 });
        var badNested = Concat(valid, new byte[] { (3 << 3) | 2, 3, 0xFF, 0xFF, 0xFF }); // location: a varint that never ends

        foreach (var bytes in new[] { truncated, group, badLength, zeroTag, badNested })
        {
            Assert.Throws<InvalidProtocolBufferException>(() => Protobuf.ParseFrom(bytes));
            Assert.Throws<InvalidProtocolBufferException>(() => TriageRequestReader.Read(Segmented(bytes, 4096)));
        }
    }

    [Fact]
    public void Read_MutatedMessages_AgreeWithProtobuf()
    {
        // Random damage to a valid message: both readers refuse it, or both give the same message.
        var valid = Request(photoLength: 70_000).ToByteArray();
        var random = new Random(14);
        var agreed = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var bytes = (byte[])valid.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                // Mostly in the framing (the head and the fields after the photo), sometimes anywhere.
                var at = random.Next(4) switch
                {
                    0 => random.Next(bytes.Length),
                    1 => random.Next(Math.Min(16, bytes.Length)),
                    _ => bytes.Length - 1 - random.Next(Math.Min(64, bytes.Length)),
                };
                bytes[at] = (byte)random.Next(256);
            }

            TriageRequest? expected = null;
            try
            {
                expected = Protobuf.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException)
            {
            }

            if (expected is null)
            {
                Assert.Throws<InvalidProtocolBufferException>(() => TriageRequestReader.Read(Segmented(bytes, 8192)));
            }
            else
            {
                Assert.Equal(expected, TriageRequestReader.Read(Segmented(bytes, 8192)));
                agreed++;
            }
        }

        Assert.InRange(agreed, 1, 399); // both outcomes were exercised
    }

    private static long Allocated(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static TriageRequest Request(int photoLength) => new()
    {
        ReportId = "report-1",
        Photo = ByteString.CopyFrom(Noise(photoLength, seed: photoLength)),
        Location = new GeoPoint { Lat = 43.2965, Lon = 5.3698, AccuracyM = 8 },
        DeclaredCategory = "pothole",
        Description = "Nid-de-poule devant le 12",
        Channel = Channel.App,
        ReportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero)),
    };

    private static byte[] Noise(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int length) => SequenceChain.Split(bytes, length);
}
