using Fidamia.Core.Imaging;
using Fidamia.Core.Scoring;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Inference.Quantization;
using Fidamia.Tests;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace Fidamia.UnitTests.Inference.Quantization;

/// <summary>
/// The default ResNet18 calibrated once on the shared photos (all but every third, decoded as the service decodes
/// them) and checked on the photos held out.
/// </summary>
public sealed class DefaultModelQuantizationFixture
{
    public static readonly string ShippedVersion = Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "1");

    private readonly Lazy<State> _state = new(Create);

    public byte[] Fp32 => _state.Value.Fp32;

    public CalibrationRanges Ranges => _state.Value.Ranges;

    public byte[] Qdq => _state.Value.Qdq;

    public IReadOnlyList<(string Name, float[] Tensor)> HeldOut => _state.Value.HeldOut;

    public static IReadOnlyList<(string Name, float[] Tensor)> DecodeSharedPhotos()
    {
        var manifest = ModelManifest.Load(Path.Combine(ShippedVersion, "manifest.json"));
        var spec = manifest.ToTensorSpec();
        var options = Options.Create(new ImagingOptions());
        IPhotoDecoder decoder = SkiaPhotoDecoder.IsSupported ? new SkiaPhotoDecoder(options) : new ImageSharpPhotoDecoder(options);
        return Directory.EnumerateFiles(SharedData.PhotosDirectory).Order(StringComparer.Ordinal).Select(path =>
        {
            using var decoded = decoder.Decode(File.ReadAllBytes(path), spec, CancellationToken.None);
            var tensor = new float[spec.Length];
            decoded.WriteTensor(spec, tensor);
            return (Path.GetFileName(path), tensor);
        }).ToList();
    }

    private static State Create()
    {
        var fp32 = File.ReadAllBytes(Path.Combine(ShippedVersion, "model.onnx"));
        var photos = DecodeSharedPhotos();
        var heldOut = photos.Where((_, i) => i % 3 == 2).ToList();
        var calibration = photos.Where((_, i) => i % 3 != 2);
        var ranges = Int8Quantizer.Calibrate(fp32, "resnet18/1", calibration, CalibrationMethod.Percentile, CancellationToken.None);
        return new State(fp32, ranges, Int8Quantizer.BuildQdq(fp32, ranges), heldOut);
    }

    private sealed record State(byte[] Fp32, CalibrationRanges Ranges, byte[] Qdq, IReadOnlyList<(string Name, float[] Tensor)> HeldOut);
}

public sealed class DefaultModelQuantizationTests(DefaultModelQuantizationFixture fixture) : IClassFixture<DefaultModelQuantizationFixture>
{
    private static readonly string CommittedRanges = Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "2", "calibration.json");

    [SharedDataFact]
    public void BuildQdq_DefaultModel_HeldOutFeaturesKeepCosineAbove099()
    {
        AssertHeldOutCosine(fixture.Fp32, fixture.Qdq, fixture.HeldOut);
    }

    [SharedDataFact]
    public void InspectFusion_DefaultModelQdq_FusesAll22ConvsAnd9AddsAndPoolsUint8()
    {
        var report = Int8Quantizer.InspectFusion(fixture.Qdq);

        Assert.Equal(0, report.Fp32Convs);
        Assert.Equal(22, Count(report, "QLinearConv"));
        Assert.Equal(9, Count(report, "QLinearAdd"));
        // 22 + 9 + the max pool on uint8 (the pair around it dropped); a Transpose or two may add to it.
        Assert.True(report.Int8Nodes >= 32, string.Join(", ", report.OpCounts));
        Assert.Equal(1, Count(report, "QuantizeLinear")); // the input's only: every other pair was fused away
    }

    [SharedDataFact]
    public void Calibrate_DefaultModel_RangesEveryQuantizedTensor()
    {
        // The input, 22 Conv outputs (10 through their Relu) and 9 Add outputs (through their Relu).
        Assert.Equal(32, fixture.Ranges.Tensors.Count);
        Assert.Contains("Input247", fixture.Ranges.Tensors.Keys);
        Assert.Equal(7, fixture.Ranges.Photos.Count);
    }

    /// <summary>What the service does at start: the committed ranges against the shipped fp32 file, the same bytes each time.</summary>
    [Fact]
    public void BuildQdq_CommittedRangesOnShippedModel_BuildsTheSameBytesTwice()
    {
        var fp32 = File.ReadAllBytes(Path.Combine(DefaultModelQuantizationFixture.ShippedVersion, "model.onnx"));
        var ranges = CalibrationRanges.Load(CommittedRanges);

        var first = Int8Quantizer.BuildQdq(fp32, ranges);
        var second = Int8Quantizer.BuildQdq(fp32, ranges);

        Assert.Equal(Int8Quantizer.Sha256(first), Int8Quantizer.Sha256(second));
        Assert.Equal("resnet18/1", ranges.Model);
        using var session = new InferenceSession(first);
        Assert.Equal([1, 3, 224, 224], session.InputMetadata["Input247"].Dimensions);
        Assert.Equal([1, 512, 1, 1], session.OutputMetadata["Pooling395_Output_0"].Dimensions);
    }

    [SharedDataFact]
    public void BuildQdq_CommittedRanges_PhotosTheyWereNotCalibratedOnKeepCosineAbove099()
    {
        var ranges = CalibrationRanges.Load(CommittedRanges);
        var unseen = DefaultModelQuantizationFixture.DecodeSharedPhotos().Where(p => !ranges.Photos.Contains(p.Name)).ToList();

        Assert.NotEmpty(unseen);
        AssertHeldOutCosine(fixture.Fp32, Int8Quantizer.BuildQdq(fixture.Fp32, ranges), unseen);
    }

    private static void AssertHeldOutCosine(byte[] fp32, byte[] int8, IReadOnlyList<(string Name, float[] Tensor)> photos)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var fp32Session = new InferenceSession(fp32, options);
        using var int8Session = new InferenceSession(int8, options);
        foreach (var (name, tensor) in photos)
        {
            var cosine = VectorMath.Cosine(Run(fp32Session, tensor), Run(int8Session, tensor));
            Assert.True(cosine >= 0.99, $"{name}: cosine {cosine:0.0000}");
        }
    }

    private static int Count(FusionReport report, string opType) =>
        report.OpCounts.Where(o => o.Key == opType || o.Key.EndsWith("." + opType, StringComparison.Ordinal)).Sum(o => o.Value);

    private static float[] Run(InferenceSession session, float[] tensor)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(tensor, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["Input247"], [value], ["Pooling395_Output_0"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
