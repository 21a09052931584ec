using Onnx;

namespace Fidamia.Inference.Quantization;

/// <summary>
/// Folds each BatchNormalization that follows a Conv into the Conv's weights and bias and raises the default opset to
/// 13, the first whose QuantizeLinear/DequantizeLinear take a per-channel axis.
/// </summary>
internal static class BatchNormFolder
{
    public const long TargetOpset = 13;

    // IR 7 is the first that opset 13 may be declared with.
    private const long TargetIrVersion = 7;

    /// <summary>
    /// Ops whose semantics did not change between the opset of older exports (CNTK's 8) and 13; anything else could
    /// silently mean something different after the opset is raised, so it is refused.
    /// </summary>
    private static readonly HashSet<string> OpsStableToOpset13 = new(StringComparer.Ordinal)
    {
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "Add", "Sub", "Mul", "Sum", "Concat", "Flatten", "Reshape", "Gemm", "MatMul", "Identity",
    };

    public static ModelProto Fold(ModelProto fp32)
    {
        ArgumentNullException.ThrowIfNull(fp32);
        var model = fp32.Clone();
        var graph = model.Graph;
        var defaultOpset = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw new InvalidDataException("the model imports no default (ai.onnx) opset");
        if (defaultOpset.Version < TargetOpset)
        {
            var unsupported = graph.Node.Where(n => n.Domain is "" or "ai.onnx" && !OpsStableToOpset13.Contains(n.OpType)).Select(n => n.OpType).Distinct().ToList();
            if (unsupported.Count > 0)
            {
                throw new NotSupportedException(
                    $"the model's opset {defaultOpset.Version} cannot be raised to {TargetOpset} safely: {string.Join(", ", unsupported)} changed meaning in between");
            }
        }

        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var names = new HashSet<string>(graph.Node.SelectMany(n => n.Input.Concat(n.Output)).Concat(initializers.Keys).Concat(graph.Input.Select(i => i.Name)), StringComparer.Ordinal);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n)))
            .GroupBy(x => x.Input, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Node).ToList(), StringComparer.Ordinal);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (Output: o, Node: n)))
            .ToDictionary(x => x.Output, x => x.Node, StringComparer.Ordinal);

        var folded = new HashSet<NodeProto>();
        foreach (var bn in graph.Node.Where(n => n.OpType == "BatchNormalization" && n.Domain is "" or "ai.onnx").ToList())
        {
            if (!producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv"
                || consumers[bn.Input[0]].Count != 1 || graphOutputs.Contains(bn.Input[0]) || bn.Output.Count != 1
                || Attribute(bn, "spatial")?.I == 0
                || !bn.Input.Skip(1).All(initializers.ContainsKey)
                || !initializers.ContainsKey(conv.Input[1]) || (conv.Input.Count > 2 && !initializers.ContainsKey(conv.Input[2])))
            {
                continue;
            }

            FoldInto(conv, bn, initializers, names, graph);
            folded.Add(bn);
        }

        var kept = graph.Node.Where(n => !folded.Contains(n)).ToList();
        foreach (var node in kept.Where(n => n.OpType == "BatchNormalization"))
        {
            // Opset 9 dropped 'spatial' (always 1 since); a BN that could not be folded still has to load at opset 13.
            var spatial = Attribute(node, "spatial");
            if (spatial is not null)
            {
                if (spatial.I == 0 && defaultOpset.Version < 9)
                {
                    throw new NotSupportedException($"BatchNormalization '{node.Name}' has spatial=0, which opset 9 and later cannot express");
                }

                node.Attribute.Remove(spatial);
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(kept);

        // The BN parameters and unfolded weights are dead now; so are initializers listed as inputs by old IR versions.
        var used = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var liveInitializers = graph.Initializer.Where(t => used.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(liveInitializers);
        var liveInputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        graph.Input.Clear();
        graph.Input.AddRange(liveInputs);

        // The exporter's intermediate shapes name tensors that folding removed or renamed; ORT infers them again.
        graph.ValueInfo.Clear();
        defaultOpset.Version = Math.Max(defaultOpset.Version, TargetOpset);
        model.IrVersion = Math.Max(model.IrVersion, TargetIrVersion);
        return model;
    }

    private static void FoldInto(NodeProto conv, NodeProto bn, Dictionary<string, TensorProto> initializers, HashSet<string> names, GraphProto graph)
    {
        var weight = initializers[conv.Input[1]];
        var w = OnnxTensors.ReadFloats(weight);
        var channels = checked((int)weight.Dims[0]);
        var perChannel = w.Length / channels;
        var gamma = OnnxTensors.ReadFloats(initializers[bn.Input[1]]);
        var beta = OnnxTensors.ReadFloats(initializers[bn.Input[2]]);
        var mean = OnnxTensors.ReadFloats(initializers[bn.Input[3]]);
        var variance = OnnxTensors.ReadFloats(initializers[bn.Input[4]]);
        var bias = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? OnnxTensors.ReadFloats(initializers[conv.Input[2]]) : new float[channels];
        if (gamma.Length != channels || beta.Length != channels || mean.Length != channels || variance.Length != channels || bias.Length != channels)
        {
            throw new InvalidDataException($"BatchNormalization '{bn.Name}' has parameters for a different channel count than Conv '{conv.Name}' ({channels})");
        }

        var epsilon = Attribute(bn, "epsilon")?.F ?? 1e-5f;
        var foldedWeight = new float[w.Length];
        var foldedBias = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            // In double so that the folded model matches the original to float rounding, not to a compounded error.
            var scale = gamma[c] / Math.Sqrt((double)variance[c] + epsilon);
            for (var i = c * perChannel; i < (c + 1) * perChannel; i++)
            {
                foldedWeight[i] = (float)(w[i] * scale);
            }

            foldedBias[c] = (float)(((bias[c] - (double)mean[c]) * scale) + beta[c]);
        }

        var weightName = Unique(names, conv.Input[1] + "_folded");
        var biasName = Unique(names, (conv.Input.Count > 2 && conv.Input[2].Length > 0 ? conv.Input[2] : conv.Input[1]) + "_folded_bias");
        graph.Initializer.Add(OnnxTensors.Floats(weightName, foldedWeight, [.. weight.Dims]));
        graph.Initializer.Add(OnnxTensors.Floats(biasName, foldedBias, channels));
        conv.Input[1] = weightName;
        if (conv.Input.Count > 2)
        {
            conv.Input[2] = biasName;
        }
        else
        {
            conv.Input.Add(biasName);
        }

        // The Conv takes the BN's output name, so every consumer and graph output stays wired as it was.
        conv.Output[0] = bn.Output[0];
    }

    internal static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static string Unique(HashSet<string> names, string name)
    {
        var candidate = name;
        for (var n = 2; !names.Add(candidate); n++)
        {
            candidate = $"{name}_{n}";
        }

        return candidate;
    }
}
