using Fidamia.Inference.Quantization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Fidamia.UnitTests.Inference.Quantization;

/// <summary>Folding, calibration, QDQ placement and ORT's fusion on a hand-built miniature of the default model.</summary>
public sealed class Int8QuantizerTests : IDisposable
{
    private static readonly string[] Calibrated = ["X", "A_relu", "B_bn", "S_relu", "C_relu"];
    private readonly string _root = Directory.CreateTempSubdirectory("fidamia-int8-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Fold_TinyResNet_ScalesWeightsAndBiasPerChannelAsBatchNormWould()
    {
        var original = TinyResNet.Create();

        var folded = Int8Quantizer.Fold(original);

        Assert.DoesNotContain(folded.Graph.Node, n => n.OpType == "BatchNormalization");
        var convB = folded.Graph.Node.Single(n => n.Name == "B_conv");
        Assert.Equal("B_bn", convB.Output[0]); // the BN's output name, so its consumers are untouched
        var convA = folded.Graph.Node.Single(n => n.Name == "A_conv");
        Assert.Equal(3, convA.Input.Count); // a bias was added where the Conv had none
        foreach (var (conv, name, hadBias) in new[] { (convA, "A", false), (convB, "B", true) })
        {
            var w = TinyResNet.Floats(original, name + "_W");
            var b = hadBias ? TinyResNet.Floats(original, name + "_b") : new float[TinyResNet.Channels];
            var gamma = TinyResNet.Floats(original, name + "_gamma");
            var beta = TinyResNet.Floats(original, name + "_beta");
            var mean = TinyResNet.Floats(original, name + "_mean");
            var variance = TinyResNet.Floats(original, name + "_var");
            var foldedW = OnnxTensors.ReadFloats(folded.Graph.Initializer.Single(t => t.Name == conv.Input[1]));
            var foldedB = OnnxTensors.ReadFloats(folded.Graph.Initializer.Single(t => t.Name == conv.Input[2]));
            var perChannel = w.Length / TinyResNet.Channels;
            for (var c = 0; c < TinyResNet.Channels; c++)
            {
                var scale = gamma[c] / Math.Sqrt(variance[c] + TinyResNet.Epsilon);
                Assert.Equal((b[c] - mean[c]) * scale + beta[c], foldedB[c], 1e-5);
                for (var i = c * perChannel; i < (c + 1) * perChannel; i++)
                {
                    Assert.Equal(w[i] * scale, foldedW[i], 1e-6);
                }
            }
        }
    }

    [Fact]
    public void Fold_TinyResNet_RaisesTheOpsetAndDropsStaleShapesAndDeadInitializers()
    {
        var folded = Int8Quantizer.Fold(TinyResNet.Create());

        Assert.Equal(13, folded.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.True(folded.IrVersion >= 7);
        Assert.Empty(folded.Graph.ValueInfo);
        Assert.DoesNotContain(folded.Graph.Initializer, t => t.Name.EndsWith("_gamma", StringComparison.Ordinal) || t.Name == "A_W");
        Assert.Equal([TinyResNet.Input], folded.Graph.Input.Select(i => i.Name));
    }

    [Fact]
    public void Fold_TinyResNet_GivesTheOriginalOutputsThroughOrt()
    {
        var original = TinyResNet.Bytes();
        var folded = Int8Quantizer.Fold(TinyResNet.Create()).ToByteArray();

        for (var seed = 0; seed < 3; seed++)
        {
            var input = TinyResNet.RandomInput(seed);
            var expected = Run(original, input);
            var actual = Run(folded, input);
            var tolerance = 1e-5 * Math.Max(1, expected.Max(Math.Abs));
            Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= tolerance, $"{p.First} vs {p.Second}"));
        }
    }

    [Fact]
    public void Fold_SameModelTwice_GivesIdenticalBytes()
    {
        Assert.Equal(Int8Quantizer.Fold(TinyResNet.Create()).ToByteArray(), Int8Quantizer.Fold(TinyResNet.Create()).ToByteArray());
    }

    [Fact]
    public void Calibrate_TinyResNet_RangesExactlyTheTensorsTheQdqGraphQuantizes()
    {
        var ranges = Calibrate(TinyResNet.Bytes(), CalibrationMethod.MinMax);

        Assert.Equal(Calibrated.Order(StringComparer.Ordinal), ranges.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("minmax-x1.25", ranges.Method);
        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], ranges.Photos);
        Assert.Equal(Int8Quantizer.Sha256(TinyResNet.Bytes()), ranges.ModelSha256);
        // Relu outputs: nothing below 0 was seen, so the grid starts at 0.
        Assert.Equal(0f, ranges.Tensors["A_relu"].Min);
        Assert.True(ranges.Tensors["B_bn"].Min < 0);
    }

    [Fact]
    public void BuildQdq_TinyResNet_QuantizesInputConvAddAndPoolOutputsDropsRelusKeepsAveragePoolFp32()
    {
        var fp32 = TinyResNet.Bytes();

        var qdq = ModelProto.Parser.ParseFrom(Int8Quantizer.BuildQdq(fp32, Calibrate(fp32, CalibrationMethod.Percentile)));

        var nodes = qdq.Graph.Node;
        var initializers = qdq.Graph.Initializer.ToDictionary(t => t.Name);
        Assert.Equal(["X", "A_relu", "B_bn", "S_relu", "M", "C_relu"], nodes.Where(n => n.OpType == "QuantizeLinear").Select(n => n.Input[0]));
        Assert.DoesNotContain(nodes, n => n.OpType == "Relu");
        Assert.Equal("A_relu", nodes.Single(n => n.Name == "A_conv").Output[0]);
        Assert.Equal("S_relu", nodes.Single(n => n.OpType == "Add").Output[0]);
        // The pool runs on its input's grid, so ORT can drop the pair and pool uint8 values.
        var poolQ = nodes.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == "M");
        var addQ = nodes.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == "S_relu");
        Assert.Equal(addQ.Input.Skip(1), poolQ.Input.Skip(1));
        // The uint8 clamp stands in for each dropped Relu: zero point 0.
        foreach (var tensor in new[] { "A_relu", "S_relu", "C_relu" })
        {
            var q = nodes.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == tensor);
            Assert.Equal(OnnxTensors.UInt8, initializers[q.Input[2]].DataType);
            Assert.Equal(0, initializers[q.Input[2]].RawData[0]);
        }

        // The head stays fp32: the average pool reads dequantized values and writes the float graph output.
        var average = nodes.Single(n => n.OpType == "AveragePool");
        Assert.Equal("DequantizeLinear", nodes.Single(n => n.Output.Contains(average.Input[0])).OpType);
        Assert.Equal(TinyResNet.Output, average.Output[0]);
        Assert.Equal(TinyResNet.Input, qdq.Graph.Input.Single().Name);
        Assert.Equal(OnnxTensors.Float, qdq.Graph.Input.Single().Type.TensorType.ElemType);
        Assert.Equal([1L, 3, 8, 8], qdq.Graph.Input.Single().Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        Assert.Equal([1L, 4, 1, 1], qdq.Graph.Output.Single().Type.TensorType.Shape.Dim.Select(d => d.DimValue));

        foreach (var conv in nodes.Where(n => n.OpType == "Conv"))
        {
            var weightDq = nodes.Single(n => n.Output.Contains(conv.Input[1]));
            var biasDq = nodes.Single(n => n.Output.Contains(conv.Input[2]));
            Assert.Equal(OnnxTensors.Int8, initializers[weightDq.Input[0]].DataType);
            Assert.Equal([(long)TinyResNet.Channels], initializers[weightDq.Input[1]].Dims); // one scale per output channel
            Assert.Equal(0, weightDq.Attribute.Single(a => a.Name == "axis").I);
            Assert.Equal(OnnxTensors.Int32, initializers[biasDq.Input[0]].DataType);
            // bias scale = input scale x weight scale, so QLinearConv can add it to its accumulator as is.
            var inputScale = ScalarOf(initializers[nodes.Single(n => n.Output.Contains(conv.Input[0])).Input[1]]);
            var weightScales = OnnxTensors.ReadFloats(initializers[weightDq.Input[1]]);
            var biasScales = OnnxTensors.ReadFloats(initializers[biasDq.Input[1]]);
            Assert.Equal(weightScales.Select(s => s * inputScale), biasScales);
        }
    }

    [Fact]
    public void BuildQdq_TinyResNet_StaysCloseToFp32()
    {
        var fp32 = TinyResNet.Bytes();
        var qdq = Int8Quantizer.BuildQdq(fp32, Calibrate(fp32, CalibrationMethod.MinMax));

        var input = TinyResNet.RandomInput(seed: 2);
        var expected = Run(fp32, input);
        var actual = Run(qdq, input);

        var scale = expected.Max(Math.Abs);
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 0.05 * scale, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void InspectFusion_TinyQdq_FindsQLinearConvAndAddAndNoFp32Conv()
    {
        var fp32 = TinyResNet.Bytes();

        var report = Int8Quantizer.InspectFusion(Int8Quantizer.BuildQdq(fp32, Calibrate(fp32, CalibrationMethod.MinMax)));

        Assert.Equal(3, Count(report, "QLinearConv"));
        Assert.Equal(1, Count(report, "QLinearAdd"));
        Assert.Equal(0, report.Fp32Convs);
        Assert.True(report.Int8Nodes >= 5, string.Join(", ", report.OpCounts));
    }

    [Fact]
    public void InspectFusion_Fp32Model_CountsItsConvsAsFp32()
    {
        var report = Int8Quantizer.InspectFusion(Int8Quantizer.Fold(TinyResNet.Create()).ToByteArray(), GraphOptimizationLevel.ORT_ENABLE_EXTENDED);

        Assert.Equal(3, report.Fp32Convs);
        Assert.Equal(0, report.Int8Nodes);
    }

    [Fact]
    public void BuildQdq_SameInputsTwiceAndAfterSavingTheRanges_GivesIdenticalBytes()
    {
        var fp32 = TinyResNet.Bytes();
        var ranges = Calibrate(fp32, CalibrationMethod.Percentile);
        var path = Path.Combine(_root, "calibration.json");
        ranges.Save(path);

        var first = Int8Quantizer.BuildQdq(fp32, ranges);
        var second = Int8Quantizer.BuildQdq(fp32, ranges);
        var fromFile = Int8Quantizer.BuildQdq(fp32, CalibrationRanges.Load(path));

        Assert.Equal(first, second);
        Assert.Equal(first, fromFile);
    }

    [Fact]
    public void BuildQdq_RangesMissingATensor_ThrowsNamingIt()
    {
        var fp32 = TinyResNet.Bytes();
        var ranges = Calibrate(fp32, CalibrationMethod.MinMax);
        var partial = new CalibrationRanges
        {
            Method = ranges.Method,
            Model = ranges.Model,
            ModelSha256 = ranges.ModelSha256,
            Photos = ranges.Photos,
            Tensors = ranges.Tensors.Where(t => t.Key != "B_bn").ToDictionary(),
        };

        var ex = Assert.Throws<InvalidDataException>(() => Int8Quantizer.BuildQdq(fp32, partial));

        Assert.Contains("'B_bn'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildQdq_RangesOfAnotherModelFile_ThrowsNamingTheHashes()
    {
        var ranges = Calibrate(TinyResNet.Bytes(seed: 7), CalibrationMethod.MinMax);
        var other = TinyResNet.Bytes(seed: 8);

        var ex = Assert.Throws<InvalidDataException>(() => Int8Quantizer.BuildQdq(other, ranges));

        Assert.Contains(ranges.ModelSha256, ex.Message, StringComparison.Ordinal);
        Assert.Contains(Int8Quantizer.Sha256(other), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_Ranges_RoundTripExactlyWithTensorsSortedByName()
    {
        var ranges = new CalibrationRanges
        {
            Method = "minmax",
            Model = "m/1",
            ModelSha256 = new string('a', 64),
            Photos = ["b.jpg", "a.png"],
            Tensors = new Dictionary<string, TensorRange>
            {
                ["zeta"] = new(-0.1f, 1f / 3),
                ["alpha"] = new(0f, 123456.79f),
                ["Mid"] = new(-1e-7f, 2.5e-9f),
            },
        };
        var path = Path.Combine(_root, "ranges.json");

        ranges.Save(path);
        var loaded = CalibrationRanges.Load(path);
        var json = File.ReadAllText(path);

        Assert.True(json.IndexOf("\"Mid\"", StringComparison.Ordinal) < json.IndexOf("\"alpha\"", StringComparison.Ordinal));
        Assert.True(json.IndexOf("\"alpha\"", StringComparison.Ordinal) < json.IndexOf("\"zeta\"", StringComparison.Ordinal));
        Assert.Contains("\"modelSha256\"", json, StringComparison.Ordinal);
        Assert.Equal(ranges.Tensors.OrderBy(t => t.Key, StringComparer.Ordinal), loaded.Tensors.OrderBy(t => t.Key, StringComparer.Ordinal));
        Assert.Equal(ranges.Photos, loaded.Photos);
    }

    [Fact]
    public void Load_RangeWithMinAboveMax_ThrowsNamingTheTensor()
    {
        var path = Path.Combine(_root, "bad.json");
        File.WriteAllText(path, $$"""{ "method": "minmax", "model": "m/1", "modelSha256": "{{new string('0', 64)}}", "photos": [], "tensors": { "t1": { "min": 2, "max": 1 } } }""");

        var ex = Assert.Throws<InvalidDataException>(() => CalibrationRanges.Load(path));

        Assert.Contains("tensors.t1", ex.Message, StringComparison.Ordinal);
    }

    private static CalibrationRanges Calibrate(byte[] model, CalibrationMethod method) =>
        Int8Quantizer.Calibrate(model, "tiny/1", Enumerable.Range(0, 5).Select(i => ($"p{i}", TinyResNet.RandomInput(100 + i))), method, CancellationToken.None);

    private static int Count(FusionReport report, string opType) =>
        report.OpCounts.Where(o => o.Key == opType || o.Key.EndsWith("." + opType, StringComparison.Ordinal)).Sum(o => o.Value);

    private static float ScalarOf(TensorProto tensor) => OnnxTensors.ReadFloats(tensor).Single();

    private static float[] Run(byte[] model, float[] input)
    {
        using var session = new InferenceSession(model);
        using var value = OrtValue.CreateTensorValueFromMemory(input, TinyResNet.InputShape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [TinyResNet.Input], [value], [TinyResNet.Output]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
