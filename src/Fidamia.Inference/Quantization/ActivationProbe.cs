using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Fidamia.Inference.Quantization;

internal delegate void TensorVisitor(string tensor, ReadOnlySpan<float> values);

/// <summary>Runs an fp32 graph with chosen intermediate tensors exposed as extra outputs and hands their values to a visitor.</summary>
internal sealed class ActivationProbe : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly long[] _inputShape;
    private readonly long _inputLength;
    private readonly bool _inputWatched;
    private readonly string[] _outputs;

    public ActivationProbe(ModelProto model, IReadOnlyList<string> tensors)
    {
        var exposed = model.Clone();
        var graph = exposed.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var input = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList() is [var single]
            ? single
            : throw new NotSupportedException("only single-input models can be calibrated");
        _inputName = input.Name;
        // A symbolic dimension (a dynamic batch) is run at 1: each tensor is one image.
        _inputShape = [.. input.Type.TensorType.Shape.Dim.Select(d => d.HasDimValue ? d.DimValue : 1)];
        _inputLength = _inputShape.Aggregate(1L, (a, b) => a * b);
        _inputWatched = tensors.Contains(_inputName, StringComparer.Ordinal);
        _outputs = [.. tensors.Where(t => t != _inputName)];
        var existing = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _outputs.Where(o => !existing.Contains(o)))
        {
            graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = OnnxTensors.Float } },
            });
        }

        using var options = OnnxSessionOptions.Create(GraphOptimizationLevel.ORT_ENABLE_BASIC, intraOpThreads: 0);
        _session = new InferenceSession(exposed.ToByteArray(), options);
    }

    public void Run(float[] input, TensorVisitor visit, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (input.Length != _inputLength)
        {
            throw new ArgumentException($"the input has {input.Length} values; the model's input '{_inputName}' [{string.Join(",", _inputShape)}] takes {_inputLength}", nameof(input));
        }

        if (_inputWatched)
        {
            visit(_inputName, input);
        }

        using var value = OrtValue.CreateTensorValueFromMemory(input, _inputShape);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, [_inputName], [value], _outputs);
        for (var i = 0; i < _outputs.Length; i++)
        {
            visit(_outputs[i], results[i].GetTensorDataAsSpan<float>());
        }
    }

    public void Dispose() => _session.Dispose();
}
