using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;

namespace Fidamia.Inference;

/// <summary>
/// <c>models/&lt;name&gt;/&lt;version&gt;/manifest.json</c>: what a model file expects and gives, in the spirit
/// of Triton's model configuration. Checked against the ONNX session's metadata at load.
/// </summary>
public sealed class ModelManifest
{
    // Text as people read it (quotes, accents), not \\u escapes meant for HTML pages.
    private static readonly ManifestJsonContext JsonWriter =
        new(new JsonSerializerOptions(ManifestJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public string Name { get; set; } = "";

    public string Version { get; set; } = "";

    /// <summary>classifier or embedding.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The ONNX file, relative to the manifest.</summary>
    public string File { get; set; } = "model.onnx";

    public string? Description { get; set; }

    public string? Source { get; set; }

    /// <summary>fp32 or int8; informative, for the model tools that compare versions.</summary>
    public string? Precision { get; set; }

    /// <summary>The model version this one was derived from (<c>name/version</c>), e.g. the fp32 model an int8 one was quantized from.</summary>
    public string? DerivedFrom { get; set; }

    /// <summary>For a quantized model: the calibration its int8 graph was built from.</summary>
    public CalibrationSection? Calibration { get; set; }

    public InputSection Input { get; set; } = new();

    public OutputSection Output { get; set; } = new();

    /// <summary>Taxonomy codes, one per output of a classifier, in output order.</summary>
    public List<string> Labels { get; set; } = [];

    /// <summary>Per-label confidence thresholds that override the taxonomy's and the service default.</summary>
    public Dictionary<string, double> Thresholds { get; set; } = [];

    /// <summary>Softmax temperature for a classifier's logits.</summary>
    public double Temperature { get; set; } = 1.0;

    /// <summary>
    /// Most images per run for a model with a dynamic batch dimension; absent for the default
    /// (<see cref="DefaultDynamicBatch"/>). Must be 1 or absent when the batch is fixed at 1.
    /// </summary>
    public int? MaxBatchSize { get; set; }

    public const int DefaultDynamicBatch = 64;

    public sealed class InputSection
    {
        public string Name { get; set; } = "";

        public int Width { get; set; }

        public int Height { get; set; }

        /// <summary>rgb or bgr.</summary>
        public string ColorOrder { get; set; } = "rgb";

        /// <summary>Multiplies 0-255 pixel values before the mean is subtracted (1/255 for a 0-1 model).</summary>
        public float Scale { get; set; } = 1f;

        public List<float> Mean { get; set; } = [0, 0, 0];

        public List<float> Std { get; set; } = [1, 1, 1];

        /// <summary>stretch or center_crop.</summary>
        public string Resize { get; set; } = "stretch";
    }

    public sealed class CalibrationSection
    {
        /// <summary>The calibration ranges (JSON), relative to the manifest.</summary>
        public string File { get; set; } = "calibration.json";

        /// <summary>How the ranges were read from the photos, e.g. <c>percentile-99.999-x1.25</c>.</summary>
        public string Method { get; set; } = "";

        /// <summary>How many photos the ranges were measured on.</summary>
        public int Photos { get; set; }
    }

    public sealed class OutputSection
    {
        public string Name { get; set; } = "";

        /// <summary>probabilities, logits or embedding.</summary>
        public string Kind { get; set; } = "";
    }

    public static ModelManifest Load(string path)
    {
        try
        {
            using var stream = System.IO.File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, ManifestJsonContext.Default.ModelManifest)
                ?? throw new ModelLoadException($"{path}: the manifest is empty");
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException($"{path}: not a valid manifest: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the manifest as indented JSON, leaving out the optional fields it does not have.</summary>
    public void Save(string path) => System.IO.File.WriteAllText(path, ToJson() + "\n");

    /// <summary>The manifest as indented JSON, as <see cref="Save"/> writes it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonWriter.ModelManifest);

    /// <summary>Checks the manifest on its own; every problem names its field.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add("name: is required");
        }

        if (string.IsNullOrWhiteSpace(Version))
        {
            problems.Add("version: is required");
        }

        if (ParseKind() is null)
        {
            problems.Add($"kind: '{Kind}' is not classifier or embedding");
        }

        if (ParseOutputKind() is null)
        {
            problems.Add($"output.kind: '{Output.Kind}' is not probabilities, logits or embedding");
        }
        else if ((ParseKind() == ModelKind.Embedding) != (ParseOutputKind() == ModelOutputKind.Embedding))
        {
            problems.Add($"output.kind: '{Output.Kind}' does not fit kind '{Kind}'");
        }

        if (string.IsNullOrWhiteSpace(Input.Name))
        {
            problems.Add("input.name: is required");
        }

        if (Input.Width is < 1 or > 8192 || Input.Height is < 1 or > 8192)
        {
            problems.Add("input.width/input.height: must be between 1 and 8192");
        }

        if (ParseColorOrder() is null)
        {
            problems.Add($"input.colorOrder: '{Input.ColorOrder}' is not rgb or bgr");
        }

        if (ParseResize() is null)
        {
            problems.Add($"input.resize: '{Input.Resize}' is not stretch or center_crop");
        }

        if (Input.Mean.Count != 3)
        {
            problems.Add("input.mean: needs three values, one per channel");
        }

        if (Input.Std.Count != 3 || Input.Std.Any(s => !(s > 0)))
        {
            problems.Add("input.std: needs three positive values, one per channel");
        }

        if (!(Input.Scale > 0) || !float.IsFinite(Input.Scale))
        {
            problems.Add("input.scale: must be positive");
        }

        if (string.IsNullOrWhiteSpace(Output.Name))
        {
            problems.Add("output.name: is required");
        }

        if (ParseKind() == ModelKind.Classifier && Labels.Count < 2)
        {
            problems.Add("labels: a classifier needs at least two labels");
        }

        if (ParseKind() == ModelKind.Embedding && Labels.Count > 0)
        {
            problems.Add("labels: an embedding model has no labels (the prototype memory learns them)");
        }

        if (Labels.Count != Labels.Distinct(StringComparer.Ordinal).Count())
        {
            problems.Add("labels: a label is listed twice");
        }

        foreach (var (label, threshold) in Thresholds)
        {
            if (!(threshold is > 0 and <= 1))
            {
                problems.Add($"thresholds.{label}: {threshold} is not in (0, 1]");
            }
        }

        if (!(Temperature > 0) || !double.IsFinite(Temperature))
        {
            problems.Add("temperature: must be positive");
        }

        if (DerivedFrom is not null && DerivedFrom.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
        {
            problems.Add($"derivedFrom: '{DerivedFrom}' is not name/version");
        }

        if (Calibration is not null)
        {
            if (string.IsNullOrWhiteSpace(Calibration.File))
            {
                problems.Add("calibration.file: is required");
            }

            if (string.IsNullOrWhiteSpace(Calibration.Method))
            {
                problems.Add("calibration.method: is required");
            }

            if (Calibration.Photos < 1)
            {
                problems.Add("calibration.photos: must be at least 1");
            }
        }

        if (MaxBatchSize is < 1 or > 4096)
        {
            problems.Add("maxBatchSize: must be between 1 and 4096");
        }

        return problems;
    }

    public TensorSpec ToTensorSpec() => new(
        Input.Width,
        Input.Height,
        ParseColorOrder() ?? ColorOrder.Rgb,
        Input.Scale,
        Input.Mean,
        Input.Std,
        ParseResize() ?? ResizeMode.Stretch);

    public ModelDescriptor ToDescriptor(int outputLength, int maxBatchSize) => new(
        Name,
        Version,
        ParseKind() ?? throw new InvalidOperationException("invalid manifest"),
        ToTensorSpec(),
        ParseOutputKind() ?? throw new InvalidOperationException("invalid manifest"),
        outputLength,
        Labels,
        Thresholds,
        Temperature,
        maxBatchSize);

    private ModelKind? ParseKind() => Kind switch
    {
        "classifier" => ModelKind.Classifier,
        "embedding" => ModelKind.Embedding,
        _ => null,
    };

    private ModelOutputKind? ParseOutputKind() => Output.Kind switch
    {
        "probabilities" => ModelOutputKind.Probabilities,
        "logits" => ModelOutputKind.Logits,
        "embedding" => ModelOutputKind.Embedding,
        _ => null,
    };

    private ColorOrder? ParseColorOrder() => Input.ColorOrder switch
    {
        "rgb" => ColorOrder.Rgb,
        "bgr" => ColorOrder.Bgr,
        _ => null,
    };

    private ResizeMode? ParseResize() => Input.Resize switch
    {
        "stretch" => ResizeMode.Stretch,
        "center_crop" => ResizeMode.CenterCrop,
        _ => null,
    };
}

/// <summary>A model version that cannot be served; the message names the file and the field.</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
