using System.Buffers;
using BenchmarkDotNet.Attributes;
using Fidamia.Core.Imaging;
using Fidamia.Core.Pipeline;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Protos.V1;
using Fidamia.Server.Grpc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace Fidamia.Benchmarks;

/// <summary>
/// The request path from the bytes gRPC hands the service (a serialised <c>TriageRequest</c> in 64 KB segments, as
/// Kestrel's pool holds it) to the model's input tensor: the service's read (photo pooled), mapping, idempotency fingerprint, precheck,
/// inspection (limits, format, completeness, EXIF), Skia's scaled decode and the tensor write. Beside it, in the same
/// run, the floor (<see cref="DecodeFloor"/>: Skia's scaled decode and resize, no check) as the baseline, Skia's decode
/// alone as the service calls it, protobuf's own parse and the service's read alone.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TrendRatioConfig))]
public class RequestPathBenchmarks
{
    private const int SegmentBytes = 64 * 1024;
    private readonly CancellationToken _none = CancellationToken.None;
    private byte[] _photo = null!;
    private ReadOnlySequence<byte> _request;
    private TensorSpec _spec = null!;
    private float[] _tensor = null!;
    private SkiaPhotoDecoder _decoder = null!;
    private PhotoInspection _inspection = null!;

    [Params("12MP", "1MP")]
    public string Photo { get; set; } = "12MP";

    [GlobalSetup]
    public void Setup()
    {
        _photo = Photo == "12MP" ? BenchmarkPhotos.Phone12MP() : BenchmarkPhotos.OneMP();
        var options = new InferenceOptions { IntraOpThreads = 1, Precision = Precision.Fp32 };
        using (var model = OnnxImageModel.Load(new ModelRepository(options.ResolvedPath).Choose(options).Directory, options))
        {
            _spec = model.Descriptor.Input;
        }

        _tensor = new float[_spec.Length];
        var imaging = new ImagingOptions();
        _decoder = new SkiaPhotoDecoder(Options.Create(imaging));
        _inspection = PhotoInspector.Inspect(_photo, imaging, ImagingConfiguration.Create(), _none);
        var request = new TriageRequest
        {
            ReportId = "bench-request-path",
            Photo = ByteString.CopyFrom(_photo),
            Location = new Protos.V1.GeoPoint { Lat = 43.2965, Lon = 5.3698, AccuracyM = 10 },
            Channel = Channel.App,
            ReportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero)),
            Description = "nid de poule devant le 12",
        };
        _request = SequenceChain.Split(request.ToByteArray(), SegmentBytes);
    }

    [Benchmark(Baseline = true, Description = "floor: Skia scaled decode + resize (DecodeFloor)")]
    public float Floor()
    {
        DecodeFloor.ToTensor(_photo, _spec, _tensor);
        return _tensor[0];
    }

    [Benchmark(Description = "Skia decode alone (SkiaPhotoDecoder.Load)")]
    public int SkiaDecode()
    {
        using var decoded = SkiaPhotoDecoder.Load(_photo, _inspection, _spec, _none);
        return decoded.DecodedWidth;
    }

    [Benchmark(Description = "protobuf parse (TriageRequest, 64 KB segments)")]
    public int Parse() => TriageRequest.Parser.ParseFrom(_request).Photo.Length;

    [Benchmark(Description = "the service's read (TriageRequestReader: photo pooled)")]
    public int Read()
    {
        var request = TriageRequestReader.Read(_request);
        var length = request.Photo.Length;
        request.ReturnPhoto();
        return length;
    }

    [Benchmark(Description = "request path: request bytes to tensor")]
    public float RequestPath()
    {
        var request = TriageRequestReader.Read(_request);
        try
        {
            var report = TriageGrpcService.ToDomain(request);
            var fingerprint = TriagePipeline.Fingerprint(report);
            if (_decoder.Precheck(report.Photo.Span) is { } violation)
            {
                throw new InvalidOperationException(violation.Description);
            }

            using var decoded = _decoder.Decode(report.Photo, _spec, _none);
            decoded.WriteTensor(_spec, _tensor);
            return _tensor[0] + fingerprint[0];
        }
        finally
        {
            request.ReturnPhoto();
        }
    }
}
