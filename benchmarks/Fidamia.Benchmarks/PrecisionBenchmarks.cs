using BenchmarkDotNet.Attributes;
using Fidamia.Core.Models;
using Fidamia.Inference;

namespace Fidamia.Benchmarks;

/// <summary>
/// fp32 against int8 inference of the default model, batch 1, on a ready tensor: the int8 version is the one the
/// service builds at start from the committed calibration ranges. Read the ratio to the fp32 baseline.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TrendRatioConfig))]
public class PrecisionBenchmarks
{
    private readonly CancellationToken _none = CancellationToken.None;
    private OnnxImageModel _fp32 = null!;
    private OnnxImageModel _int8 = null!;
    private float[] _tensor = null!;
    private float[] _features = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new InferenceOptions { IntraOpThreads = Threads };
        var repository = new ModelRepository(options.ResolvedPath);
        _fp32 = OnnxImageModel.Load(repository.Resolve("resnet18", null, Precision.Fp32), options);
        _int8 = OnnxImageModel.Load(repository.Resolve("resnet18", null, Precision.Int8Quantized), options);
        _tensor = new float[_fp32.Descriptor.Input.Length];
        for (var i = 0; i < _tensor.Length; i++)
        {
            _tensor[i] = (i % 255) - 120f;
        }

        _features = new float[_fp32.Descriptor.OutputLength];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fp32.Dispose();
        _int8.Dispose();
    }

    [Benchmark(Baseline = true, Description = "fp32 inference, batch 1")]
    public float FullPrecision()
    {
        _fp32.Run(_tensor, _features, _none);
        return _features[0];
    }

    [Benchmark(Description = "int8 inference, batch 1")]
    public float Quantized()
    {
        _int8.Run(_tensor, _features, _none);
        return _features[0];
    }
}
