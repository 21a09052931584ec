using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Fidamia.Inference.Quantization;

/// <summary>
/// int8 QDQ quantization of fp32 image models, in the form ONNX Runtime fuses into integer kernels on the CPU:
/// fold BatchNorm (<see cref="Fold"/>), measure activation ranges over photos (<see cref="Calibrate"/>), build the
/// QDQ graph from the fp32 file and those ranges (<see cref="BuildQdq"/>) and check what ORT made of it
/// (<see cref="InspectFusion"/>).
/// </summary>
public static class Int8Quantizer
{
    /// <summary>BatchNormalization folded into the Conv before it; default opset raised to 13; shape annotations dropped. Deterministic.</summary>
    public static ModelProto Fold(ModelProto fp32) => BatchNormFolder.Fold(fp32);

    /// <summary>Ranges of every tensor the QDQ graph needs, from input tensors (each one image, NCHW floats as the model takes them).</summary>
    public static CalibrationRanges Calibrate(
        byte[] fp32Model, string modelId, IEnumerable<(string Name, float[] Tensor)> photos, CalibrationMethod method, CancellationToken cancellationToken) =>
        Calibrate(fp32Model, modelId, photos, new CalibrationOptions(method), cancellationToken);

    /// <inheritdoc cref="Calibrate(byte[], string, IEnumerable{ValueTuple{string, float[]}}, CalibrationMethod, CancellationToken)"/>
    public static CalibrationRanges Calibrate(
        byte[] fp32Model, string modelId, IEnumerable<(string Name, float[] Tensor)> photos, CalibrationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fp32Model);
        ArgumentNullException.ThrowIfNull(photos);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var folded = Fold(ModelProto.Parser.ParseFrom(fp32Model));
        var tensors = QdqPlan.For(folded.Graph).Calibrated;
        var accumulators = tensors.ToDictionary(t => t, _ => new RangeAccumulator(), StringComparer.Ordinal);
        var names = new List<string>();
        using (var probe = new ActivationProbe(folded, tensors))
        {
            foreach (var (name, tensor) in photos)
            {
                probe.Run(tensor, (t, values) => accumulators[t].Add(values), cancellationToken);
                names.Add(name);
            }
        }

        if (names.Count == 0)
        {
            throw new ArgumentException("no calibration photo", nameof(photos));
        }

        return new CalibrationRanges
        {
            Method = options.Name,
            Model = modelId,
            ModelSha256 = Sha256(fp32Model),
            Photos = names,
            Tensors = accumulators.ToDictionary(a => a.Key, a => a.Value.Range(options), StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// The QDQ model from the fp32 model and its committed ranges; the same inputs give the same bytes. The input and
    /// output keep their fp32 names, types and shapes. Throws <see cref="InvalidDataException"/> naming the problem when
    /// the ranges belong to another file or lack a tensor.
    /// </summary>
    public static byte[] BuildQdq(byte[] fp32Model, CalibrationRanges ranges)
    {
        ArgumentNullException.ThrowIfNull(fp32Model);
        ArgumentNullException.ThrowIfNull(ranges);
        var problems = ranges.Problems();
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"the calibration ranges of '{ranges.Model}' are not usable: {string.Join("; ", problems)}");
        }

        var sha = Sha256(fp32Model);
        if (!string.Equals(sha, ranges.ModelSha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException(
                $"the calibration ranges of '{ranges.Model}' belong to the fp32 file with SHA-256 {ranges.ModelSha256}, not to this one ({sha}): recalibrate");
        }

        var folded = Fold(ModelProto.Parser.ParseFrom(fp32Model));
        var plan = QdqPlan.For(folded.Graph);
        var missing = plan.Calibrated.Where(t => !ranges.Tensors.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException(
                $"the calibration ranges of '{ranges.Model}' have no range for tensor '{missing[0]}'"
                + (missing.Count > 1 ? $" (nor for {missing.Count - 1} more: {string.Join(", ", missing.Skip(1).Take(5))})" : ""));
        }

        var qdq = QdqBuilder.Build(folded, plan, ranges.Tensors);
        qdq.ProducerName = "Fidamia.Inference.Quantization";
        qdq.ProducerVersion = "1";
        qdq.DocString = $"int8 QDQ of {ranges.Model} (fp32 SHA-256 {ranges.ModelSha256}), calibrated {ranges.Method} on {ranges.Photos.Count} photos";
        return qdq.ToByteArray();
    }

    /// <summary>Op-type counts of ORT's optimised graph of a model (all optimisations, as the service loads models).</summary>
    public static FusionReport InspectFusion(byte[] model) => InspectFusion(model, GraphOptimizationLevel.ORT_ENABLE_ALL);

    /// <summary>Op-type counts of ORT's optimised graph of a model at the given optimisation level.</summary>
    public static FusionReport InspectFusion(byte[] model, GraphOptimizationLevel level)
    {
        ArgumentNullException.ThrowIfNull(model);
        var path = Path.Combine(Path.GetTempPath(), $"fidamia-fusion-{Guid.NewGuid():N}.onnx");
        try
        {
            // Errors only: at ORT_ENABLE_ALL, ORT warns that the saved graph is specific to this machine, which is the point here.
            using (var options = OnnxSessionOptions.Create(level, intraOpThreads: 1, optimizedModelPath: path, errorsOnly: true))
            {
                using var session = new InferenceSession(model, options);
            }

            return FusionInspector.Inspect(ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>How far the given photos' activations go outside the calibrated ranges (the grids the QDQ model uses).</summary>
    public static ClippingReport MeasureClipping(
        byte[] fp32Model, CalibrationRanges ranges, IEnumerable<(string Name, float[] Tensor)> photos, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fp32Model);
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(photos);
        var folded = Fold(ModelProto.Parser.ParseFrom(fp32Model));
        var plan = QdqPlan.For(folded.Graph);
        var tensors = plan.Calibrated.Where(ranges.Tensors.ContainsKey).ToList();
        var meters = tensors.ToDictionary(
            t => t,
            t => new ClippingMeter(ranges.Tensors[t], plan.ReluFused.Contains(t)),
            StringComparer.Ordinal);
        var count = 0;
        using (var probe = new ActivationProbe(folded, tensors))
        {
            foreach (var (_, tensor) in photos)
            {
                probe.Run(tensor, (t, values) => meters[t].Add(values), cancellationToken);
                count++;
            }
        }

        return new ClippingReport(count, tensors.Select(t => meters[t].Result(t)).ToList());
    }

    internal static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
