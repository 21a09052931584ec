using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fidamia.Cli.Model;

/// <summary>What <c>fidamia model quantize</c> made and measured, printed as a table or as one JSON document.</summary>
internal sealed record QuantizeReport
{
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("out")]
    public required string Out { get; init; }

    [JsonPropertyName("method")]
    public required string Method { get; init; }

    [JsonPropertyName("calibration_photos")]
    public required IReadOnlyList<string> CalibrationPhotos { get; init; }

    [JsonPropertyName("held_out_photos")]
    public required IReadOnlyList<string> HeldOutPhotos { get; init; }

    /// <summary>Nodes of ONNX Runtime's optimised int8 graph computing on 8-bit integers.</summary>
    [JsonPropertyName("int8_nodes")]
    public required int Int8Nodes { get; init; }

    /// <summary>Convolutions ORT left in fp32: each one a QDQ group it did not fuse (must be 0).</summary>
    [JsonPropertyName("fp32_convs")]
    public required int Fp32Convs { get; init; }

    [JsonPropertyName("op_counts")]
    public required IReadOnlyDictionary<string, int> OpCounts { get; init; }

    [JsonPropertyName("clipping")]
    public required ClippingSummary Clipping { get; init; }

    [JsonPropertyName("cosine")]
    public required CosineSummary Cosine { get; init; }

    /// <summary>Held-out photos whose nearest other photo (among all) is the same under int8 and fp32 features.</summary>
    [JsonPropertyName("nearest_neighbour_agreement")]
    public required Agreement NearestNeighbour { get; init; }

    [JsonPropertyName("speed")]
    public required SpeedSummary Speed { get; init; }

    [JsonPropertyName("fp32_bytes")]
    public required long Fp32Bytes { get; init; }

    [JsonPropertyName("int8_bytes")]
    public required long Int8Bytes { get; init; }

    [JsonPropertyName("min_cosine_required")]
    public required double MinCosineRequired { get; init; }

    /// <summary>min cosine at or above the requirement and no fp32 Conv left.</summary>
    [JsonPropertyName("passed")]
    public bool Passed => Cosine.Min >= MinCosineRequired && Fp32Convs == 0;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"quantized {Model} -> {Out} ({Method}, {CalibrationPhotos.Count} calibration photos, {HeldOutPhotos.Count} held out)"));
        text.AppendLine(Invariant($"ORT graph:    {Int8Nodes} int8 nodes, {Fp32Convs} fp32 Conv left"));
        text.AppendLine("              " + string.Join(", ", OpCounts.Select(o => Invariant($"{o.Key} {o.Value}"))));
        text.Append(Invariant($"clipping:     {Clipping.ClippedTensors} of {Clipping.Tensors} tensors clipped on held-out photos"));
        text.AppendLine(Clipping.WorstTensor is null
            ? ""
            : Invariant($"; worst {Clipping.WorstTensor} x{Clipping.WorstRatio:0.00}, at most {Clipping.WorstClippedFraction:P3} of a tensor's values clipped"));
        text.AppendLine(Invariant($"cosine:       int8 vs fp32 on held-out photos min {Cosine.Min:0.0000}, mean {Cosine.Mean:0.0000} (required >= {MinCosineRequired:0.####})"));
        foreach (var (photo, cosine) in Cosine.PerPhoto)
        {
            text.AppendLine(Invariant($"              {cosine:0.0000}  {photo}"));
        }

        text.AppendLine(Invariant($"neighbours:   {NearestNeighbour.Same} of {NearestNeighbour.Of} held-out photos keep their nearest neighbour"));
        text.AppendLine(Invariant($"speed:        fp32 {Speed.Fp32Ms:0.00} ms, int8 {Speed.Int8Ms:0.00} ms per run (median of {Speed.Runs}, 1 thread): speed-up {Speed.Ratio:0.00}x"));
        text.AppendLine(Invariant($"size:         fp32 {Fp32Bytes / 1e6:0.0} MB, int8 {Int8Bytes / 1e6:0.0} MB"));
        text.Append(Passed ? "passed" : "FAILED: " + string.Join("; ", Failures()));
        return text.ToString();
    }

    public IEnumerable<string> Failures()
    {
        if (Cosine.Min < MinCosineRequired)
        {
            yield return Invariant($"min cosine {Cosine.Min:0.0000} < {MinCosineRequired}");
        }

        if (Fp32Convs > 0)
        {
            yield return Invariant($"{Fp32Convs} Conv left in fp32 by ONNX Runtime");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

internal sealed record ClippingSummary(
    [property: JsonPropertyName("tensors")] int Tensors,
    [property: JsonPropertyName("clipped_tensors")] int ClippedTensors,
    [property: JsonPropertyName("worst_tensor")] string? WorstTensor,
    [property: JsonPropertyName("worst_ratio")] double WorstRatio,
    [property: JsonPropertyName("worst_clipped_fraction")] double WorstClippedFraction,
    [property: JsonPropertyName("clipped")] IReadOnlyList<ClippedTensor> Clipped);

internal sealed record ClippedTensor(
    [property: JsonPropertyName("tensor")] string Tensor,
    [property: JsonPropertyName("grid_min")] float GridMin,
    [property: JsonPropertyName("grid_max")] float GridMax,
    [property: JsonPropertyName("seen_min")] float SeenMin,
    [property: JsonPropertyName("seen_max")] float SeenMax,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("clipped_fraction")] double ClippedFraction);

internal sealed record CosineSummary(
    [property: JsonPropertyName("min")] double Min,
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("per_photo")] IReadOnlyDictionary<string, double> PerPhoto);

internal sealed record Agreement(
    [property: JsonPropertyName("same")] int Same,
    [property: JsonPropertyName("of")] int Of);

internal sealed record SpeedSummary(
    [property: JsonPropertyName("fp32_ms")] double Fp32Ms,
    [property: JsonPropertyName("int8_ms")] double Int8Ms,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("runs")] int Runs,
    [property: JsonPropertyName("intra_op_threads")] int IntraOpThreads);
