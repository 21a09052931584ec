using Onnx;

namespace Fidamia.Inference.Quantization;

/// <summary>
/// Turns a folded fp32 graph into the QDQ form ONNX Runtime fuses into integer kernels: weights as int8 initializers
/// (symmetric, per output channel) behind a DequantizeLinear, biases as int32 on the input x weight scale, and a
/// QuantizeLinear/DequantizeLinear pair (uint8, asymmetric, per tensor) on each tensor the <see cref="QdqPlan"/> names.
/// Everything is derived from the graph and the ranges in a fixed order, so the same inputs give the same bytes.
/// </summary>
internal sealed class QdqBuilder
{
    private readonly GraphProto _source;
    private readonly QdqPlan _plan;
    private readonly IReadOnlyDictionary<string, TensorRange> _ranges;
    private readonly Dictionary<string, TensorProto> _sourceInitializers;
    private readonly HashSet<string> _names;
    private readonly List<NodeProto> _nodes = [];
    private readonly List<TensorProto> _initializers = [];
    private readonly Dictionary<string, (string Scale, string ZeroPoint, float ScaleValue)> _grids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Quantized, string Scale, string ZeroPoint, float[] Scales)> _weights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _dequantizeCount = new(StringComparer.Ordinal);

    private QdqBuilder(GraphProto source, QdqPlan plan, IReadOnlyDictionary<string, TensorRange> ranges)
    {
        _source = source;
        _plan = plan;
        _ranges = ranges;
        _sourceInitializers = source.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _names = new HashSet<string>(
            source.Node.SelectMany(n => n.Input.Concat(n.Output)).Concat(_sourceInitializers.Keys).Concat(source.Input.Select(i => i.Name)),
            StringComparer.Ordinal);
    }

    public static ModelProto Build(ModelProto folded, QdqPlan plan, IReadOnlyDictionary<string, TensorRange> ranges)
    {
        var model = folded.Clone();
        var builder = new QdqBuilder(folded.Graph, plan, ranges);
        builder.Run();
        var graph = model.Graph;
        graph.Node.Clear();
        graph.Node.AddRange(builder._nodes);
        var used = builder._nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var initializers = folded.Graph.Initializer.Where(t => used.Contains(t.Name)).Select(t => t.Clone()).Concat(builder._initializers).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
        graph.ValueInfo.Clear();
        return model;
    }

    private void Run()
    {
        foreach (var input in _source.Input.Where(i => _plan.IsQuantized(i.Name)))
        {
            Quantize(input.Name);
        }

        foreach (var original in _source.Node)
        {
            if (_plan.DroppedRelus.Contains(original))
            {
                continue;
            }

            var node = original.Clone();
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (_plan.IsQuantized(node.Input[i]))
                {
                    node.Input[i] = Dequantize(node.Input[i]);
                }
            }

            if (node.OpType == "Conv" && node.Domain is "" or "ai.onnx" && _plan.IsQuantized(original.Input[0]))
            {
                QuantizeConvParameters(node, original.Input[0]);
            }

            if (_plan.RenamedOutputs.TryGetValue(original, out var renamed))
            {
                node.Output[0] = renamed;
            }

            _nodes.Add(node);
            foreach (var output in node.Output.Where(_plan.IsQuantized))
            {
                Quantize(output);
            }
        }
    }

    private void Quantize(string tensor)
    {
        var (scale, zeroPoint, _) = Grid(_plan.GridOf(tensor));
        _nodes.Add(Node("QuantizeLinear", tensor + "_QuantizeLinear", [tensor, scale, zeroPoint], NewName(tensor + "_quantized")));
    }

    /// <summary>One DequantizeLinear per consumer: ORT's QDQ groups each want their own.</summary>
    private string Dequantize(string tensor)
    {
        var (scale, zeroPoint, _) = Grid(_plan.GridOf(tensor));
        var n = _dequantizeCount[tensor] = _dequantizeCount.GetValueOrDefault(tensor) + 1;
        var suffix = n == 1 ? "" : "_" + n;
        var output = NewName(tensor + "_dequantized" + suffix);
        _nodes.Add(Node("DequantizeLinear", tensor + "_DequantizeLinear" + suffix, [tensor + "_quantized", scale, zeroPoint], output));
        return output;
    }

    /// <summary>The scale and zero point initializers of a calibrated tensor, made on first use.</summary>
    private (string Scale, string ZeroPoint, float ScaleValue) Grid(string tensor)
    {
        if (_grids.TryGetValue(tensor, out var grid))
        {
            return grid;
        }

        var range = _ranges[tensor];
        var (scale, zeroPoint) = ActivationGrid(range, _plan.ReluFused.Contains(tensor));
        var scaleName = NewName(tensor + "_scale");
        var zeroPointName = NewName(tensor + "_zero_point");
        _initializers.Add(OnnxTensors.Floats(scaleName, [scale]));
        _initializers.Add(OnnxTensors.UInt8s(zeroPointName, [zeroPoint]));
        return _grids[tensor] = (scaleName, zeroPointName, scale);
    }

    /// <summary>uint8 asymmetric over the range widened to include 0 (so 0, and the padding, is exact).</summary>
    internal static (float Scale, byte ZeroPoint) ActivationGrid(TensorRange range, bool reluFused)
    {
        // With the Relu dropped the grid must start at 0 whatever was measured, or the clamp would not be the Relu.
        var min = reluFused ? 0f : MathF.Min(range.Min, 0f);
        var max = MathF.Max(range.Max, 0f);
        var scale = (max - min) / 255f;
        if (!(scale > 0) || !float.IsFinite(scale))
        {
            return (1f, 0);
        }

        var zeroPoint = Math.Clamp(MathF.Round(-min / scale, MidpointRounding.ToEven), 0f, 255f);
        return (scale, (byte)zeroPoint);
    }

    private void QuantizeConvParameters(NodeProto conv, string input)
    {
        var weightName = conv.Input[1];
        if (!_sourceInitializers.ContainsKey(weightName))
        {
            return;
        }

        var weight = QuantizedWeight(weightName);
        var dequantizedWeight = NewName(weightName + "_dequantized_" + conv.Output[0]);
        _nodes.Add(Node("DequantizeLinear", dequantizedWeight + "_DequantizeLinear", [weight.Quantized, weight.Scale, weight.ZeroPoint], dequantizedWeight, axis: 0));
        conv.Input[1] = dequantizedWeight;

        if (conv.Input.Count < 3 || !_sourceInitializers.TryGetValue(conv.Input[2], out var biasTensor))
        {
            return;
        }

        // QLinearConv adds the int32 bias to the int32 accumulator as is: its scale must be input scale x weight scale.
        var inputScale = Grid(_plan.GridOf(input)).ScaleValue;
        var bias = OnnxTensors.ReadFloats(biasTensor);
        var biasScales = new float[bias.Length];
        var quantizedBias = new int[bias.Length];
        for (var c = 0; c < bias.Length; c++)
        {
            biasScales[c] = inputScale * weight.Scales[c];
            var q = Math.Round(bias[c] / (double)biasScales[c], MidpointRounding.ToEven);
            quantizedBias[c] = (int)Math.Clamp(q, int.MinValue, int.MaxValue);
        }

        var biasBase = conv.Input[2] + "_" + conv.Output[0];
        var quantizedName = NewName(biasBase + "_quantized");
        var scaleName = NewName(biasBase + "_scale");
        var zeroPointName = NewName(biasBase + "_zero_point");
        var dequantizedBias = NewName(biasBase + "_dequantized");
        _initializers.Add(OnnxTensors.Int32s(quantizedName, quantizedBias, bias.Length));
        _initializers.Add(OnnxTensors.Floats(scaleName, biasScales, bias.Length));
        _initializers.Add(OnnxTensors.Int32s(zeroPointName, new int[bias.Length], bias.Length));
        _nodes.Add(Node("DequantizeLinear", dequantizedBias + "_DequantizeLinear", [quantizedName, scaleName, zeroPointName], dequantizedBias, axis: 0));
        conv.Input[2] = dequantizedBias;
    }

    /// <summary>
    /// Weights span [-64, 64], not [-127, 127]. Without VNNI, ORT's x64 u8s8 kernels (AVX2, AVX-512BW) multiply with
    /// vpmaddubsw, which adds two uint8 x int8 products into a saturating int16: 2 x 255 x 127 overflows it, 2 x 255 x 64
    /// (32640) does not. Measured on the default ResNet18 on an AVX2 host, over 5 folds of 2 held-out photos: feature
    /// cosine to fp32 mean 0.975 (worst 0.937) with 127, 0.997 (worst 0.995) with 64. The model is built the same on
    /// every host (its bytes are compared), so it takes the limit that is safe on all of them.
    /// </summary>
    internal const float WeightLimit = 64f;

    /// <summary>int8 symmetric per output channel (axis 0), zero point 0, within ±<see cref="WeightLimit"/>.</summary>
    private (string Quantized, string Scale, string ZeroPoint, float[] Scales) QuantizedWeight(string name)
    {
        if (_weights.TryGetValue(name, out var existing))
        {
            return existing;
        }

        var tensor = _sourceInitializers[name];
        var values = OnnxTensors.ReadFloats(tensor);
        var channels = checked((int)tensor.Dims[0]);
        var perChannel = values.Length / channels;
        var scales = new float[channels];
        var quantized = new sbyte[values.Length];
        for (var c = 0; c < channels; c++)
        {
            var channel = values.AsSpan(c * perChannel, perChannel);
            var maxAbs = 0f;
            foreach (var v in channel)
            {
                maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
            }

            var scale = maxAbs > 0 ? maxAbs / WeightLimit : 1f;
            scales[c] = scale;
            for (var i = 0; i < perChannel; i++)
            {
                quantized[(c * perChannel) + i] = (sbyte)Math.Clamp(MathF.Round(channel[i] / scale, MidpointRounding.ToEven), -WeightLimit, WeightLimit);
            }
        }

        var quantizedName = NewName(name + "_quantized");
        var scaleName = NewName(name + "_scale");
        var zeroPointName = NewName(name + "_zero_point");
        _initializers.Add(OnnxTensors.Int8s(quantizedName, quantized, [.. tensor.Dims]));
        _initializers.Add(OnnxTensors.Floats(scaleName, scales, channels));
        _initializers.Add(OnnxTensors.Int8s(zeroPointName, new sbyte[channels], channels));
        return _weights[name] = (quantizedName, scaleName, zeroPointName, scales);
    }

    private string NewName(string name) =>
        _names.Add(name) ? name : throw new InvalidOperationException($"the QDQ graph's name '{name}' is already taken in the model");

    private static NodeProto Node(string opType, string name, string[] inputs, string output, long? axis = null)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (axis is { } a)
        {
            node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = a });
        }

        return node;
    }
}
