using Fidamia.Core.Imaging;

namespace Fidamia.Core.Models;

public enum ModelKind
{
    /// <summary>Outputs one score per label of <see cref="ModelDescriptor.Labels"/>.</summary>
    Classifier,

    /// <summary>Outputs a feature vector; labels come from the prototype memory.</summary>
    Embedding,
}

public enum ModelOutputKind
{
    Probabilities,
    Logits,
    Embedding,
}

/// <summary>A loaded model version as the pipeline sees it: what goes in and what comes out.</summary>
public sealed record ModelDescriptor(
    string Name,
    string Version,
    ModelKind Kind,
    TensorSpec Input,
    ModelOutputKind OutputKind,
    int OutputLength,
    IReadOnlyList<string> Labels,
    IReadOnlyDictionary<string, double> Thresholds,
    double Temperature);

/// <summary>One model version ready to run. Implementations are thread-safe.</summary>
public interface IImageModel
{
    ModelDescriptor Descriptor { get; }

    /// <summary>Runs the model on one input tensor and copies its output into <paramref name="output"/>.</summary>
    void Run(Memory<float> input, Span<float> output, CancellationToken cancellationToken);
}
