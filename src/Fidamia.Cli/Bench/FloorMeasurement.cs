using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using Fidamia.Imaging;
using Fidamia.Inference;

namespace Fidamia.Cli.Bench;

/// <summary>
/// The floor a bench compares the service with, measured in the same run on the same photos: Skia's scaled decode to
/// the model input (<see cref="DecodeFloor"/>) plus one run of the served model version on a session of its own at one
/// intra-op thread, photo after photo on one thread, none of the service's checks, hashing, storing or transport.
/// </summary>
internal sealed record FloorResult
{
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("precision")]
    public required string Precision { get; init; }

    /// <summary>CPU per photo, decode and run together: the mean of the measurements before and after the levels.</summary>
    [JsonPropertyName("cpu_ms_per_photo")]
    public required double CpuMsPerPhoto { get; init; }

    [JsonPropertyName("decode_ms_per_photo")]
    public required double DecodeMsPerPhoto { get; init; }

    [JsonPropertyName("inference_ms_per_photo")]
    public required double InferenceMsPerPhoto { get; init; }

    /// <summary>The measurement before the levels and the one after: apart, they show the machine drifting.</summary>
    [JsonPropertyName("before_ms")]
    public required double BeforeMs { get; init; }

    [JsonPropertyName("after_ms")]
    public double? AfterMs { get; init; }

    [JsonPropertyName("runs")]
    public required int Runs { get; init; }

    /// <summary>Photos Skia could not decode, left out of the floor.</summary>
    [JsonPropertyName("skipped_photos")]
    public int SkippedPhotos { get; init; }
}

/// <summary>Measures the floor (see <see cref="FloorResult"/>) on one thread, by that thread's CPU time.</summary>
internal sealed partial class FloorMeasurement : IDisposable
{
    private readonly OnnxImageModel _model;
    private readonly List<byte[]> _photos;
    private readonly float[] _tensor;
    private readonly float[] _output;
    private readonly int _skipped;
    private readonly List<Sample> _samples = [];

    private FloorMeasurement(OnnxImageModel model, List<byte[]> photos, int skipped)
    {
        _model = model;
        _photos = photos;
        _skipped = skipped;
        _tensor = new float[model.Descriptor.Input.Length];
        _output = new float[model.Descriptor.OutputLength];
    }

    /// <summary>Loads the version at one intra-op thread and runs every photo once (warm-up); null when no photo decodes.</summary>
    public static FloorMeasurement? Open(string versionDirectory, IReadOnlyList<BenchPhoto> photos)
    {
        var model = OnnxImageModel.Load(versionDirectory, new InferenceOptions { IntraOpThreads = 1 });
        var decodable = new List<byte[]>();
        var spec = model.Descriptor.Input;
        var tensor = new float[spec.Length];
        var output = new float[model.Descriptor.OutputLength];
        try
        {
            foreach (var photo in photos)
            {
                try
                {
                    DecodeFloor.ToTensor(photo.Bytes, spec, tensor);
                }
                catch (InvalidDataException)
                {
                    continue;
                }

                model.Run(tensor, 1, output, CancellationToken.None);
                decodable.Add(photo.Bytes);
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }

        if (decodable.Count == 0)
        {
            model.Dispose();
            return null;
        }

        return new FloorMeasurement(model, decodable, photos.Count - decodable.Count);
    }

    /// <summary>Runs the photos in turn for at least <paramref name="duration"/> and at least once each.</summary>
    public void Measure(TimeSpan duration, CancellationToken cancellationToken)
    {
        var spec = _model.Descriptor.Input;
        var started = Stopwatch.GetTimestamp();
        double decode = 0, inference = 0;
        var runs = 0;
        // Ctrl+C ends it early; what was measured until then still counts.
        while (!cancellationToken.IsCancellationRequested && (runs < _photos.Count || Stopwatch.GetElapsedTime(started) < duration))
        {
            var photo = _photos[runs % _photos.Count];
            var before = ThreadCpu.Seconds();
            DecodeFloor.ToTensor(photo, spec, _tensor);
            var decoded = ThreadCpu.Seconds();
            _model.Run(_tensor, 1, _output, CancellationToken.None);
            var ran = ThreadCpu.Seconds();
            decode += decoded - before;
            inference += ran - decoded;
            runs++;
        }

        if (runs > 0)
        {
            _samples.Add(new Sample(runs, decode, inference));
        }
    }

    /// <summary>What was measured: the first call to <see cref="Measure(TimeSpan, CancellationToken)"/> is "before", the last "after".</summary>
    public FloorResult? Result()
    {
        if (_samples.Count == 0)
        {
            return null;
        }

        var runs = _samples.Sum(s => s.Runs);
        var decode = _samples.Sum(s => s.DecodeSeconds) * 1000 / runs;
        var inference = _samples.Sum(s => s.InferenceSeconds) * 1000 / runs;
        return new FloorResult
        {
            Model = $"{_model.Descriptor.Name}/{_model.Descriptor.Version}",
            Precision = _model.Precision,
            CpuMsPerPhoto = _samples.Average(s => s.MsPerPhoto),
            DecodeMsPerPhoto = decode,
            InferenceMsPerPhoto = inference,
            BeforeMs = _samples[0].MsPerPhoto,
            AfterMs = _samples.Count > 1 ? _samples[^1].MsPerPhoto : null,
            Runs = runs,
            SkippedPhotos = _skipped,
        };
    }

    public void Dispose() => _model.Dispose();

    private sealed record Sample(int Runs, double DecodeSeconds, double InferenceSeconds)
    {
        public double MsPerPhoto => (DecodeSeconds + InferenceSeconds) * 1000 / Runs;
    }

    /// <summary>
    /// The calling thread's CPU time (Linux's per-thread clock): at one intra-op thread ONNX Runtime runs on the caller,
    /// so this thread's time is all the floor costs, whatever else the process does meanwhile.
    /// </summary>
    private static partial class ThreadCpu
    {
        private const int ThreadCpuTimeClock = 3;

        public static double Seconds()
        {
            if (OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuTimeClock, out var now) == 0)
            {
                return now.Seconds + (now.Nanoseconds / 1e9);
            }

            // Elsewhere the process's time, which is the thread's while the bench does nothing else.
            using var process = Process.GetCurrentProcess();
            return process.TotalProcessorTime.TotalSeconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int ClockGetTime(int clock, out Timespec value);

        [StructLayout(LayoutKind.Sequential)]
        private struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }
    }
}
