using Fidamia.Inference.Quantization;
using Google.Protobuf;
using Onnx;

namespace Fidamia.Inference.Export;

/// <summary>One label's prototypes (normalised centres) as the exported head holds them.</summary>
public sealed record ExportedLabel(string Code, IReadOnlyList<float[]> Centres);

/// <summary>
/// Turns an embedding backbone and a prototype memory into one ONNX classifier: the backbone's output flattened and
/// L2-normalised, a Gemm against every prototype's centre (cosines), the best prototype per label (a Reshape to
/// labels x prototypes and a ReduceMax), times the memory's scale, and a Softmax. That is the memory's own scoring, so
/// the classifier's top label is the memory's; what it does not carry is the open-set rule (a photo like nothing learnt
/// still gets a label, which the routing thresholds then judge). The batch dimension is made dynamic.
/// </summary>
public static class PrototypeHeadExport
{
    public const string OutputName = "probabilities";

    private static readonly int[] FeatureAxis = [1];
    private static readonly int[] PrototypeAxis = [2];

    public static ModelProto Build(ModelProto backbone, string backboneOutput, int dimension, IReadOnlyList<ExportedLabel> labels, double scale)
    {
        ArgumentOutOfRangeException.ThrowIfZero(labels.Count);
        if (labels.Any(l => l.Centres.Count == 0 || l.Centres.Any(c => c.Length != dimension)))
        {
            throw new ArgumentException($"every label needs at least one centre of {dimension} values", nameof(labels));
        }

        var model = backbone.Clone();
        var graph = model.Graph;
        if (graph.Output.All(o => o.Name != backboneOutput))
        {
            throw new ArgumentException($"the backbone has no output '{backboneOutput}'", nameof(backboneOutput));
        }

        // Labels with fewer prototypes repeat their last one: the same maximum, a rectangular weight matrix.
        var perLabel = labels.Max(l => l.Centres.Count);
        var weights = new float[labels.Count * perLabel * dimension];
        for (var l = 0; l < labels.Count; l++)
        {
            for (var k = 0; k < perLabel; k++)
            {
                var centre = labels[l].Centres[Math.Min(k, labels[l].Centres.Count - 1)];
                centre.CopyTo(weights.AsSpan(((l * perLabel) + k) * dimension, dimension));
            }
        }

        var prototypes = labels.Count * perLabel;
        graph.Initializer.Add(OnnxTensors.Floats("head_prototypes", weights, prototypes, dimension));
        graph.Initializer.Add(OnnxTensors.Floats("head_bias", new float[prototypes], prototypes));
        graph.Initializer.Add(OnnxTensors.Floats("head_epsilon", [1e-12f]));
        graph.Initializer.Add(OnnxTensors.Floats("head_scale", [(float)scale]));
        graph.Initializer.Add(OnnxTensors.Int64s("head_shape", [-1, labels.Count, perLabel], 3));

        graph.Node.Add(Node("Flatten", "head_flatten", [backboneOutput], "head_features", ("axis", 1)));
        graph.Node.Add(Node("ReduceL2", "head_norm", ["head_features"], "head_norm", ("keepdims", 1), ("axes", FeatureAxis)));
        graph.Node.Add(Node("Add", "head_norm_safe", ["head_norm", "head_epsilon"], "head_norm_safe"));
        graph.Node.Add(Node("Div", "head_normalise", ["head_features", "head_norm_safe"], "head_normalised"));
        graph.Node.Add(Node("Gemm", "head_cosines", ["head_normalised", "head_prototypes", "head_bias"], "head_cosines", ("transB", 1)));
        graph.Node.Add(Node("Reshape", "head_per_label", ["head_cosines", "head_shape"], "head_per_label"));
        graph.Node.Add(Node("ReduceMax", "head_best", ["head_per_label"], "head_best", ("keepdims", 0), ("axes", PrototypeAxis)));
        graph.Node.Add(Node("Mul", "head_scaled", ["head_best", "head_scale"], "head_scaled"));
        graph.Node.Add(Node("Softmax", "head_softmax", ["head_scaled"], OutputName, ("axis", 1)));

        graph.Output.Clear();
        graph.Output.Add(new ValueInfoProto
        {
            Name = OutputName,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = OnnxTensors.Float,
                    Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 1 }, new TensorShapeProto.Types.Dimension { DimValue = labels.Count } } },
                },
            },
        });

        // The backbone's shapes were inferred for one image: they go, and the leading dimension of what stays (inputs,
        // outputs, Reshape shapes) becomes N.
        graph.ValueInfo.Clear();
        graph.SetDim();
        return model;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (attribute, value) in attributes)
        {
            node.Attribute.Add(value switch
            {
                int i => new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Int, I = i },
                int[] list => new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Ints, Ints = { list.Select(v => (long)v) } },
                _ => throw new ArgumentException($"attribute {attribute}: unsupported value", nameof(attributes)),
            });
        }

        return node;
    }
}
