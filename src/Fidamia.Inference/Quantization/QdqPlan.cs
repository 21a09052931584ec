using Onnx;

namespace Fidamia.Inference.Quantization;

/// <summary>
/// Where the QDQ graph of a folded model puts its quantize/dequantize pairs, read from the folded graph alone so that
/// calibration and building agree on the tensors: the graph input, every Conv and Add output (the output of a Relu
/// that follows one instead, the Relu dropped) and every MaxPool output (on its input's grid, so ORT can run the pool
/// on uint8). Everything else, the final average pool included, stays fp32 and reads dequantized values.
/// </summary>
internal sealed class QdqPlan
{
    private readonly Dictionary<string, string> _gridOf;

    private QdqPlan(Dictionary<string, string> gridOf, HashSet<string> reluFused, HashSet<NodeProto> droppedRelus, Dictionary<NodeProto, string> renamedOutputs)
    {
        _gridOf = gridOf;
        ReluFused = reluFused;
        DroppedRelus = droppedRelus;
        RenamedOutputs = renamedOutputs;
    }

    /// <summary>Quantized tensors, in graph order.</summary>
    public IEnumerable<string> Quantized => _gridOf.Keys;

    /// <summary>The tensors that need a calibrated range (those not on another tensor's grid), in graph order.</summary>
    public IReadOnlyList<string> Calibrated => _gridOf.Where(g => g.Key == g.Value).Select(g => g.Key).ToList();

    /// <summary>Tensors whose grid must start at 0 because the uint8 clamp stands in for a dropped Relu.</summary>
    public IReadOnlySet<string> ReluFused { get; }

    public IReadOnlySet<NodeProto> DroppedRelus { get; }

    /// <summary>Conv/Add nodes that now write their dropped Relu's output.</summary>
    public IReadOnlyDictionary<NodeProto, string> RenamedOutputs { get; }

    public bool IsQuantized(string tensor) => _gridOf.ContainsKey(tensor);

    /// <summary>The tensor whose range sets this one's scale and zero point (itself, or a MaxPool's input).</summary>
    public string GridOf(string tensor) => _gridOf[tensor];

    public static QdqPlan For(GraphProto folded)
    {
        var initializers = folded.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var graphOutputs = folded.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = folded.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n)))
            .GroupBy(x => x.Input, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Node).ToList(), StringComparer.Ordinal);
        var gridOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var reluFused = new HashSet<string>(StringComparer.Ordinal);
        var droppedRelus = new HashSet<NodeProto>();
        var renamed = new Dictionary<NodeProto, string>();

        void Quantize(string tensor)
        {
            if (tensor.Length > 0 && !initializers.Contains(tensor))
            {
                gridOf.TryAdd(tensor, tensor);
            }
        }

        foreach (var input in folded.Input.Where(i => !initializers.Contains(i.Name)))
        {
            if (consumers.GetValueOrDefault(input.Name, []).Any(IsQuantizedOp))
            {
                Quantize(input.Name);
            }
        }

        foreach (var node in folded.Node)
        {
            if (!IsDefaultDomain(node))
            {
                continue;
            }

            switch (node.OpType)
            {
                case "Conv":
                case "Add":
                    foreach (var input in node.OpType == "Conv" ? node.Input.Take(1) : node.Input)
                    {
                        Quantize(input);
                    }

                    var output = node.Output[0];
                    // The uint8 clamp at zero point 0 is the Relu: dropping it is what lets ORT fuse Conv/Add + Q.
                    if (!graphOutputs.Contains(output)
                        && consumers.GetValueOrDefault(output, []) is [{ OpType: "Relu" } relu]
                        && IsDefaultDomain(relu)
                        && !graphOutputs.Contains(relu.Output[0]))
                    {
                        droppedRelus.Add(relu);
                        renamed[node] = relu.Output[0];
                        reluFused.Add(relu.Output[0]);
                        output = relu.Output[0];
                    }

                    Quantize(output);
                    break;
                case "MaxPool" when node.Output.Count == 1:
                    Quantize(node.Input[0]);
                    gridOf.TryAdd(node.Output[0], gridOf[node.Input[0]]);
                    break;
            }
        }

        return new QdqPlan(gridOf, reluFused, droppedRelus, renamed);
    }

    private static bool IsQuantizedOp(NodeProto node) => IsDefaultDomain(node) && node.OpType is "Conv" or "Add" or "MaxPool";

    private static bool IsDefaultDomain(NodeProto node) => node.Domain is "" or "ai.onnx";
}
