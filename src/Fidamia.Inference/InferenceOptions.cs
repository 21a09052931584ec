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

    /// <summary>Its version; empty for the highest of the chosen <see cref="Precision"/>.</summary>
    public string? Version { get; set; }

    /// <summary>
    /// auto, fp32 or int8: which of the model's versions to serve when <see cref="Version"/> is empty.
    /// auto takes int8 where the CPU has 8-bit dot-product instructions (see <see cref="Inference.Precision"/>).
    /// </summary>
    [Required]
    [RegularExpression("auto|fp32|int8")]
    public string Precision { get; set; } = Inference.Precision.Auto;

    /// <summary>ONNX Runtime intra-op threads per run; 0 for one per core.</summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Spinning worker threads burn the cores that decode the next photos: measured on 2 cores,
    /// 1 MP preprocessing went from 10 to 17-20 ms beside spinning inference. Off by default.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>
    /// A version built at load (int8 from its fp32 version) goes live only if its features keep at least this cosine to
    /// the fp32 version's on recent stored photos (as <c>fidamia model quantize --min-cosine</c>).
    /// </summary>
    [Range(-1.0, 1.0)]
    public double DerivedMinCosine { get; set; } = 0.99;

    /// <summary>Cpu or Cuda: where served models run. Cuda falls back to the CPU, saying why, when it cannot start.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>The GPU a Cuda provider uses.</summary>
    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    /// <summary>
    /// What a version folder dropped into the repository does: List (it shows in ModelService.List as available, and
    /// waits for Load and Activate), Load (loaded at once, beside the live version), Activate (a new version of the live
    /// model is loaded and made live).
    /// </summary>
    public ModelWatchMode Watch { get; set; } = ModelWatchMode.List;

    /// <summary>How often the repository is looked at for new versions when <see cref="Watch"/> is Load or Activate.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromSeconds(10);

    public string ResolvedPath =>
        string.IsNullOrEmpty(Path) ? System.IO.Path.Combine(AppContext.BaseDirectory, "models") : System.IO.Path.GetFullPath(Path);
}

/// <summary>What a new version folder in the model repository does (see <see cref="InferenceOptions.Watch"/>).</summary>
public enum ModelWatchMode
{
    List,
    Load,
    Activate,
}
