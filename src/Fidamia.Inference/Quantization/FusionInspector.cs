using Onnx;

namespace Fidamia.Inference.Quantization;

/// <summary>Counts what an optimised graph computes with, following element types from the inputs through the nodes.</summary>
internal static class FusionInspector
{
    public static FusionReport Inspect(GraphProto graph)
    {
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var value in graph.Input.Concat(graph.ValueInfo).Concat(graph.Output))
        {
            if (value.Type?.TensorType is { } tensor)
            {
                types[value.Name] = tensor.ElemType;
            }
        }

        foreach (var initializer in graph.Initializer)
        {
            types[initializer.Name] = initializer.DataType;
        }

        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var int8Nodes = 0;
        var fp32Convs = 0;
        foreach (var node in graph.Node)
        {
            var key = node.Domain is "" or "ai.onnx" ? node.OpType : node.Domain + "." + node.OpType;
            counts[key] = counts.GetValueOrDefault(key) + 1;
            var inputType = node.Input.Count > 0 ? types.GetValueOrDefault(node.Input[0]) : 0;
            foreach (var output in node.Output.Where(o => !types.ContainsKey(o)))
            {
                types[output] = node.OpType switch
                {
                    "QuantizeLinear" => node.Input.Count > 2 ? types.GetValueOrDefault(node.Input[2], OnnxTensors.UInt8) : OnnxTensors.UInt8,
                    "DequantizeLinear" => OnnxTensors.Float,
                    "DynamicQuantizeLinear" => OnnxTensors.UInt8,
                    _ => inputType,
                };
            }

            if (node.OpType is "QuantizeLinear" or "DequantizeLinear" or "DynamicQuantizeLinear")
            {
                continue;
            }

            if (node.OpType is "Conv" or "FusedConv")
            {
                fp32Convs++;
            }
            else if (node.OpType.StartsWith("QLinear", StringComparison.Ordinal) || node.OpType is "ConvInteger" or "MatMulInteger" or "MatMulIntegerToFloat"
                || inputType is OnnxTensors.UInt8 or OnnxTensors.Int8)
            {
                int8Nodes++;
            }
        }

        return new FusionReport(counts, int8Nodes, fp32Convs);
    }
}
