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
/// <param name="MaxBatchSize">Most images one run takes: 1 for a model whose batch dimension is fixed at 1.</param>
public sealed record ModelDescriptor(
    string Name,
    string Version,
    ModelKind Kind,
    TensorSpec Input,
    ModelOutputKind OutputKind,
    int OutputLength,
    IReadOnlyList<string> Labels,
    IReadOnlyDictionary<string, double> Thresholds,
    double Temperature,
    int MaxBatchSize = 1);

/// <summary>One model version ready to run. Implementations are thread-safe.</summary>
public interface IImageModel
{
    ModelDescriptor Descriptor { get; }

    /// <summary>
    /// Runs the model on <paramref name="batchSize"/> input tensors laid end to end in <paramref name="input"/>
    /// and copies the outputs, end to end, into <paramref name="output"/>.
    /// </summary>
    void Run(Memory<float> input, int batchSize, Span<float> output, CancellationToken cancellationToken);
}

public static class ImageModelExtensions
{
    /// <summary>Runs the model on one input tensor.</summary>
    public static void Run(this IImageModel model, Memory<float> input, Span<float> output, CancellationToken cancellationToken) =>
        model.Run(input, 1, output, cancellationToken);
}
