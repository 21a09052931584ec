using System.ComponentModel.DataAnnotations;

namespace Fidamia.Inference;

/// <summary>The model repository and how ONNX Runtime runs its models.</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Models";

    /// <summary>The model repository (<c>&lt;name&gt;/&lt;version&gt;/manifest.json</c>); empty for the one shipped with the service.</summary>
    public string? Path { get; set; }

    /// <summary>The model to serve.</summary>
    [Required]
    public string Default { get; set; } = "resnet18";

    /// <summary>Its version; empty for the highest.</summary>
    public string? Version { get; set; }

    /// <summary>ONNX Runtime intra-op threads per run; 0 for one per core.</summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Spinning worker threads burn the cores that decode the next photos: measured on 2 cores,
    /// 1 MP preprocessing went from 10 to 17-20 ms beside spinning inference. Off by default.
    /// </summary>
    public bool AllowSpinning { get; set; }

    public string ResolvedPath =>
        string.IsNullOrEmpty(Path) ? System.IO.Path.Combine(AppContext.BaseDirectory, "models") : System.IO.Path.GetFullPath(Path);
}
