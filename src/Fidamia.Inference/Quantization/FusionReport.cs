namespace Fidamia.Inference.Quantization;

/// <summary>
/// What ONNX Runtime made of a model: its optimised graph's node counts by op type (<c>Conv</c>, or
/// <c>domain.OpType</c> outside the ONNX domain, e.g. <c>com.microsoft.QLinearAdd</c>).
/// </summary>
/// <param name="OpCounts">Nodes per op type, sorted by name.</param>
/// <param name="Int8Nodes">Nodes that compute on 8-bit integers (QLinear* ops, and ops such as MaxPool fed 8-bit data); quantize/dequantize nodes excluded.</param>
/// <param name="Fp32Convs">Convolutions left in floating point (<c>Conv</c>/<c>FusedConv</c> in any domain): each is a QDQ group ORT did not fuse.</param>
public sealed record FusionReport(IReadOnlyDictionary<string, int> OpCounts, int Int8Nodes, int Fp32Convs);
