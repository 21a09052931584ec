using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Inference.Quantization;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace Fidamia.Cli.Model;

/// <summary>
/// <c>fidamia model quantize</c>: an int8 QDQ version of an fp32 model version, calibrated on photos decoded exactly as the
/// service decodes them, checked on held-out photos (feature cosine to fp32, clipping, nearest neighbours), on ORT's
/// fusion (no Conv may stay fp32) and timed against the fp32 model on the spot.
/// </summary>
internal static class QuantizeCommand
{
    public const int ExitFailedChecks = 1;
    public const int ExitUsage = 2;
    private const int WarmUpRuns = 3;
    private const int TimedRuns = 25;

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The fp32 model version folder (manifest.json beside its ONNX file)", Required = true };
        var calibration = new Option<DirectoryInfo>("--calibration") { Description = "A folder of photos (.jpg, .jpeg, .png, .webp; subfolders per label allowed)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The new version folder to write (absent or empty); its name is the version", Required = true };
        var holdout = new Option<double>("--holdout") { Description = "Fraction of the photos held out of calibration to check the int8 model on", DefaultValueFactory = _ => 0.3 };
        var method = new Option<string>("--method") { Description = "How ranges are read from the calibration values", DefaultValueFactory = _ => "percentile" };
        method.AcceptOnlyFromAmong("percentile", "minmax");
        var percentile = new Option<double>("--percentile") { Description = "For --method percentile: the percentile of each tensor's values taken as its max (the mirror one as its min)", DefaultValueFactory = _ => CalibrationOptions.DefaultPercentile };
        var margin = new Option<double>("--margin") { Description = "Multiply every range read by this factor (>= 1), so unseen photos clip less", DefaultValueFactory = _ => CalibrationOptions.DefaultMargin };
        var minCosine = new Option<double>("--min-cosine") { Description = "Fail (exit 1) when a held-out photo's int8 features have a lower cosine to its fp32 ones", DefaultValueFactory = _ => 0.99 };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };

        var command = new Command("quantize", "Build an int8 (QDQ) version of an fp32 model version, calibrated and checked on photos")
        {
            model, calibration, output, holdout, method, percentile, margin, minCosine, json,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var arguments = new QuantizeArguments(
                result.GetValue(model)!,
                result.GetValue(calibration)!,
                result.GetValue(output)!,
                result.GetValue(holdout),
                new CalibrationOptions(result.GetValue(method) == "minmax" ? CalibrationMethod.MinMax : CalibrationMethod.Percentile, result.GetValue(percentile), result.GetValue(margin)),
                result.GetValue(minCosine),
                result.GetValue(json));
            return Task.FromResult(Run(arguments, cancellationToken));
        });
        return command;
    }

    private sealed record QuantizeArguments(
        DirectoryInfo Model, DirectoryInfo Calibration, DirectoryInfo Out, double Holdout, CalibrationOptions Options, double MinCosine, bool Json);

    private static int Usage(string message)
    {
        Console.Error.WriteLine("error: " + message);
        return ExitUsage;
    }

    private static int Run(QuantizeArguments arguments, CancellationToken cancellationToken)
    {
        var manifestPath = Path.Combine(arguments.Model.FullName, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            return Usage($"--model {arguments.Model.FullName} is not a model version folder (no manifest.json)");
        }

        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.Load(manifestPath);
        }
        catch (ModelLoadException ex)
        {
            return Usage(ex.Message);
        }

        var problems = manifest.Problems();
        if (problems.Count > 0)
        {
            return Usage($"{manifestPath}: {string.Join("; ", problems)}");
        }

        if (manifest.Precision == "int8")
        {
            return Usage($"--model {manifest.Name}/{manifest.Version} is already int8; give its fp32 version");
        }

        var modelPath = Path.Combine(arguments.Model.FullName, manifest.File);
        if (!File.Exists(modelPath))
        {
            return Usage($"--model: '{manifest.File}' does not exist in {arguments.Model.FullName} (build the solution to put the default model in place)");
        }

        if (!arguments.Calibration.Exists)
        {
            return Usage($"--calibration {arguments.Calibration.FullName} is not a folder");
        }

        if (!(arguments.Holdout is > 0 and < 1))
        {
            return Usage($"--holdout {arguments.Holdout.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1 (exclusive)");
        }

        if (arguments.Options.Problem is { } problem)
        {
            return Usage($"--percentile/--margin: {problem}");
        }

        if (!(arguments.MinCosine is >= -1 and <= 1))
        {
            return Usage("--min-cosine must be between -1 and 1");
        }

        if (arguments.Out.Exists && arguments.Out.EnumerateFileSystemInfos().Any())
        {
            return Usage($"--out {arguments.Out.FullName} is not empty; give a new version folder");
        }

        var photoNames = CalibrationPhotos.List(arguments.Calibration.FullName);
        if (photoNames.Count < 2)
        {
            return Usage($"--calibration {arguments.Calibration.FullName} holds {photoNames.Count} photo(s); at least 2 are needed (one to calibrate on, one to hold out)");
        }

        var spec = manifest.ToTensorSpec();
        var decoder = CreateDecoder();
        var photos = new List<PhotoTensor>();
        foreach (var name in photoNames)
        {
            try
            {
                photos.Add(new PhotoTensor(name, CalibrationPhotos.Decode(decoder, Path.Combine(arguments.Calibration.FullName, name), spec, cancellationToken)));
            }
            catch (Exception ex) when (ex is Core.Errors.InvalidReportException or IOException)
            {
                return Usage($"--calibration: {name} cannot be decoded: {ex.Message}");
            }
        }

        var split = CalibrationPhotos.HeldOut(photos.Count, arguments.Holdout);
        var calibrationSet = photos.Where((_, i) => !split[i]).ToList();
        var heldOut = photos.Where((_, i) => split[i]).ToList();
        var modelId = $"{manifest.Name}/{manifest.Version}";
        var version = arguments.Out.Name;

        try
        {
            Progress($"calibrating {modelId} on {calibrationSet.Count} photos ({arguments.Options.Name})");
            var fp32Bytes = File.ReadAllBytes(modelPath);
            var ranges = Int8Quantizer.Calibrate(fp32Bytes, modelId, calibrationSet.Select(p => (p.Name, p.Tensor)), arguments.Options, cancellationToken);
            var int8Bytes = Int8Quantizer.BuildQdq(fp32Bytes, ranges);
            WriteVersion(arguments.Out, manifestPath, modelId, version, ranges, int8Bytes);

            Progress($"checking {manifest.Name}/{version} on {heldOut.Count} held-out photos");
            var fusion = Int8Quantizer.InspectFusion(int8Bytes);
            var clipping = Int8Quantizer.MeasureClipping(fp32Bytes, ranges, heldOut.Select(p => (p.Name, p.Tensor)), cancellationToken);
            var (cosine, neighbours) = CompareFeatures(arguments.Model.FullName, arguments.Out.FullName, photos, split, cancellationToken);
            var speed = MeasureSpeed(fp32Bytes, int8Bytes, heldOut[0].Tensor, manifest, cancellationToken);
            var worst = clipping.Worst;
            var report = new QuantizeReport
            {
                Model = modelId,
                Out = arguments.Out.FullName,
                Method = ranges.Method,
                CalibrationPhotos = [.. calibrationSet.Select(p => p.Name)],
                HeldOutPhotos = [.. heldOut.Select(p => p.Name)],
                Int8Nodes = fusion.Int8Nodes,
                Fp32Convs = fusion.Fp32Convs,
                OpCounts = fusion.OpCounts,
                Clipping = new ClippingSummary(
                    clipping.Tensors.Count,
                    clipping.ClippedTensors,
                    worst?.Tensor,
                    worst?.Ratio ?? 1,
                    clipping.Tensors.Count == 0 ? 0 : clipping.Tensors.Max(t => t.ClippedFraction),
                    [.. clipping.Tensors.Where(t => t.Clipped).OrderByDescending(t => t.Ratio)
                        .Select(t => new ClippedTensor(t.Tensor, t.GridMin, t.GridMax, t.SeenMin, t.SeenMax, t.Ratio, t.ClippedFraction))]),
                Cosine = cosine,
                NearestNeighbour = neighbours,
                Speed = speed,
                Fp32Bytes = fp32Bytes.LongLength,
                Int8Bytes = int8Bytes.LongLength,
                MinCosineRequired = arguments.MinCosine,
            };
            Console.Out.WriteLine(arguments.Json ? report.ToJson() : report.ToTable());
            return report.Passed ? 0 : ExitFailedChecks;
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidDataException or OnnxRuntimeException or ModelLoadException)
        {
            Console.Error.WriteLine($"error: {modelId} cannot be quantized: {ex.Message}");
            return ExitFailedChecks;
        }
    }

    /// <summary>The service's own decoder with its default limits, so the calibration sees the tensors the service will feed.</summary>
    private static IPhotoDecoder CreateDecoder() => ImagingHostingExtensions.CreateDecoder(Options.Create(new ImagingOptions()));

    /// <summary>The new version folder: the QDQ model, its ranges, and the fp32 manifest re-labelled as int8 and derived.</summary>
    private static void WriteVersion(DirectoryInfo folder, string fp32ManifestPath, string modelId, string version, CalibrationRanges ranges, byte[] int8Bytes)
    {
        folder.Create();
        File.WriteAllBytes(Path.Combine(folder.FullName, "model.onnx"), int8Bytes);
        ranges.Save(Path.Combine(folder.FullName, "calibration.json"));
        var manifest = ModelManifest.Load(fp32ManifestPath);
        manifest.Version = version;
        manifest.Precision = "int8";
        manifest.File = "model.onnx";
        manifest.DerivedFrom = modelId;
        manifest.Calibration = new ModelManifest.CalibrationSection { File = "calibration.json", Method = ranges.Method, Photos = ranges.Photos.Count };
        manifest.Description = $"int8 QDQ of {modelId}: BatchNorm folded into Conv (opset 13), int8 symmetric per-channel weights, "
            + "uint8 per-tensor activations calibrated on photos (calibration.json), Relu absorbed by zero point 0, final pooling in fp32. "
            + $"Same input and output as {modelId}.";
        manifest.Source = $"Built by `fidamia model quantize` from {modelId}'s fp32 ONNX file and calibration.json "
            + "(the same bytes every time, so the ONNX file need not be committed)";
        manifest.Save(Path.Combine(folder.FullName, "manifest.json"));
    }

    /// <summary>Features of every photo through both versions, loaded as the service loads them; cosines on the held-out ones.</summary>
    private static (CosineSummary Cosine, Agreement Neighbours) CompareFeatures(
        string fp32Folder, string int8Folder, List<PhotoTensor> photos, bool[] heldOut, CancellationToken cancellationToken)
    {
        var options = new InferenceOptions();
        using var fp32 = OnnxImageModel.Load(fp32Folder, options);
        using var int8 = OnnxImageModel.Load(int8Folder, options);
        var fp32Features = photos.Select(p => Features(fp32, p.Tensor, cancellationToken)).ToList();
        var int8Features = photos.Select(p => Features(int8, p.Tensor, cancellationToken)).ToList();
        var cosines = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var same = 0;
        for (var i = 0; i < photos.Count; i++)
        {
            if (!heldOut[i])
            {
                continue;
            }

            cosines[photos[i].Name] = VectorMath.Cosine(fp32Features[i], int8Features[i]);
            if (Nearest(fp32Features, i) == Nearest(int8Features, i))
            {
                same++;
            }
        }

        return (new CosineSummary(cosines.Values.Min(), cosines.Values.Average(), cosines), new Agreement(same, cosines.Count));
    }

    private static float[] Features(OnnxImageModel model, float[] tensor, CancellationToken cancellationToken)
    {
        var output = new float[model.Descriptor.OutputLength];
        model.Run(tensor, output, cancellationToken);
        return output;
    }

    private static int Nearest(List<float[]> features, int of)
    {
        var best = -1;
        var bestCosine = double.NegativeInfinity;
        for (var j = 0; j < features.Count; j++)
        {
            var cosine = j == of ? double.NegativeInfinity : VectorMath.Cosine(features[of], features[j]);
            if (cosine > bestCosine)
            {
                (best, bestCosine) = (j, cosine);
            }
        }

        return best;
    }

    /// <summary>
    /// Median time of a plain Run on a ready tensor, one intra-op thread each, the two models alternating so that a
    /// neighbour's load on the machine weighs on both alike.
    /// </summary>
    private static SpeedSummary MeasureSpeed(byte[] fp32Bytes, byte[] int8Bytes, float[] tensor, ModelManifest manifest, CancellationToken cancellationToken)
    {
        using var options = OnnxSessionOptions.Create(GraphOptimizationLevel.ORT_ENABLE_ALL, intraOpThreads: 1);
        using var fp32 = new InferenceSession(fp32Bytes, options);
        using var int8 = new InferenceSession(int8Bytes, options);
        string[] inputs = [manifest.Input.Name];
        string[] outputs = [manifest.Output.Name];
        using var input = OrtValue.CreateTensorValueFromMemory(tensor, [1, 3, manifest.Input.Height, manifest.Input.Width]);
        using var runOptions = new RunOptions();
        double Time(InferenceSession session)
        {
            var stopwatch = Stopwatch.StartNew();
            using var results = session.Run(runOptions, inputs, [input], outputs);
            return stopwatch.Elapsed.TotalMilliseconds;
        }

        for (var i = 0; i < WarmUpRuns; i++)
        {
            Time(fp32);
            Time(int8);
        }

        var fp32Times = new List<double>();
        var int8Times = new List<double>();
        for (var i = 0; i < TimedRuns; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Who goes first alternates too: the second run of a pair finds warmer caches.
            if (i % 2 == 0)
            {
                fp32Times.Add(Time(fp32));
                int8Times.Add(Time(int8));
            }
            else
            {
                int8Times.Add(Time(int8));
                fp32Times.Add(Time(fp32));
            }
        }

        var fp32Ms = Median(fp32Times);
        var int8Ms = Median(int8Times);
        return new SpeedSummary(fp32Ms, int8Ms, fp32Ms / int8Ms, TimedRuns, 1);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static void Progress(string message) => Console.Error.WriteLine(message);
}
