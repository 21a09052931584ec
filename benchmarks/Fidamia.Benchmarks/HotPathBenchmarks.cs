using System.Buffers;
using BenchmarkDotNet.Attributes;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Imaging;
using Fidamia.Inference;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace Fidamia.Benchmarks;

/// <summary>
/// The triage hot path, each stage beside the raw baseline measured in the same run: a bare
/// <c>InferenceSession.Run</c> on a ready tensor. Ratios, not timings, are what to read on these noisy machines.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly CancellationToken _none = CancellationToken.None;
    private readonly RunOptions _runOptions = new();
    private OnnxImageModel _model = null!;
    private InferenceSession _rawSession = null!;
    private OrtValue _rawInput = null!;
    private float[] _rawInputData = null!;
    private string[] _inputNames = null!;
    private string[] _outputNames = null!;
    private ImageSharpPhotoDecoder _decoder = null!;
    private SkiaPhotoDecoder _skia = null!;
    private TensorSpec _spec = null!;
    private byte[] _phone12MP = null!;
    private byte[] _oneMP = null!;
    private float[] _tensor = null!;
    private float[] _features = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (!BenchmarkPhotos.Available)
        {
            throw new InvalidOperationException($"no shared photos at {BenchmarkPhotos.SharedData}; set FIDAMIA_SHARED_DATA");
        }

        // fp32 on every host: the raw Run baseline reads the model file, and an int8 version is built in memory at
        // load; int8 against fp32 is PrecisionBenchmarks' comparison.
        var options = new InferenceOptions { IntraOpThreads = Threads, Precision = Precision.Fp32 };
        _model = OnnxImageModel.Load(new ModelRepository(options.ResolvedPath).Choose(options).Directory, options);
        _spec = _model.Descriptor.Input;

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1 };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _rawSession = new InferenceSession(Path.Combine(_model.Directory, "model.onnx"), sessionOptions);
        _inputNames = [.. _rawSession.InputMetadata.Keys];
        _outputNames = [.. _rawSession.OutputMetadata.Keys];
        _rawInputData = new float[_spec.Length];
        for (var i = 0; i < _rawInputData.Length; i++)
        {
            _rawInputData[i] = (i % 255) - 120f;
        }

        _rawInput = OrtValue.CreateTensorValueFromMemory(_rawInputData, [1, 3, _spec.Height, _spec.Width]);

        _decoder = new ImageSharpPhotoDecoder(Options.Create(new ImagingOptions()));
        _skia = new SkiaPhotoDecoder(Options.Create(new ImagingOptions()));
        _phone12MP = BenchmarkPhotos.Phone12MP();
        _oneMP = BenchmarkPhotos.OneMP();
        Console.WriteLine($"// 12 MP photo: {_phone12MP.Length / 1e6:0.00} MB; 1 MP photo: {_oneMP.Length / 1e6:0.00} MB");
        _tensor = new float[_spec.Length];
        _features = new float[_model.Descriptor.OutputLength];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawInput.Dispose();
        _rawSession.Dispose();
        _model.Dispose();
        _runOptions.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw ORT Run, ready tensor")]
    public float RawRun()
    {
        using var results = _rawSession.Run(_runOptions, _inputNames, [_rawInput], _outputNames);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "inference (OnnxImageModel.Run)")]
    public float Inference()
    {
        _model.Run(_tensor, _features, _none);
        return _features[0];
    }

    [Benchmark(Description = "preprocess 12 MP JPEG (decode+resize+normalise)")]
    public float Preprocess12MP() => Preprocess(_phone12MP);

    [Benchmark(Description = "preprocess 1 MP JPEG (decode+resize+normalise)")]
    public float Preprocess1MP() => Preprocess(_oneMP);

    [Benchmark(Description = "preprocess 12 MP JPEG, Skia (DCT-scaled decode)")]
    public float Preprocess12MPSkia() => Preprocess(_skia, _phone12MP);

    [Benchmark(Description = "preprocess 1 MP JPEG, Skia (DCT-scaled decode)")]
    public float Preprocess1MPSkia() => Preprocess(_skia, _oneMP);

    [Benchmark(Description = "12 MP: preprocess + inference")]
    public float Photo12MP()
    {
        Preprocess(_phone12MP);
        _model.Run(_tensor, _features, _none);
        return _features[0];
    }

    private float Preprocess(byte[] photo) => Preprocess(_decoder, photo);

    private float Preprocess(IPhotoDecoder decoder, byte[] photo)
    {
        using var decoded = decoder.Decode(photo, _spec, _none);
        decoded.WriteTensor(_spec, _tensor);
        return _tensor[0];
    }
}
