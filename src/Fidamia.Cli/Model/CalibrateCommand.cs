using System.CommandLine;
using System.Globalization;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;
using Fidamia.Inference;

namespace Fidamia.Cli.Model;

/// <summary>
/// <c>fidamia model calibrate DIR --data IMAGEFOLDER --target-precision 0.95 --out NEWDIR</c>: fits a classifier's
/// temperature (the negative log-likelihood of the true labels) and every label's threshold (the lowest confidence at
/// which the photos predicted as it are right at the target rate, so as many as possible route without review), and
/// writes them into a new version: the same files, a new manifest. A version is never edited in place.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("dir") { Description = "The model version folder to calibrate" };
        var data = new Option<DirectoryInfo>("--data") { Description = "An ImageFolder of labelled photos the model was not trained on", Required = true };
        var target = new Option<double>("--target-precision") { Description = "The precision auto-routed reports must reach, per label", DefaultValueFactory = _ => 0.95 };
        var memory = new Option<DirectoryInfo?>("--memory") { Description = "For an embedding model: the memory `fidamia model train` wrote" };
        var output = new Option<DirectoryInfo>("--out") { Description = "The new version folder (absent or empty); its name is the version", Required = true };
        var command = new Command("calibrate", "Fit a model's temperature and per-label thresholds to a target precision, into a new version") { folder, data, target, memory, output };
        command.SetAction((result, cancellationToken) => Task.FromResult(ModelTools.Run(() => Calibrate(
            result.GetValue(folder)!, result.GetValue(data)!, result.GetValue(target), result.GetValue(memory), result.GetValue(output)!, cancellationToken))));
        return command;
    }

    private static int Calibrate(DirectoryInfo folder, DirectoryInfo data, double target, DirectoryInfo? memory, DirectoryInfo output, CancellationToken cancellationToken)
    {
        if (!(target is > 0 and <= 1))
        {
            throw new ToolUsageException("--target-precision must be above 0 and at most 1");
        }

        ModelTools.CheckNewFolder(output, folder);
        var (model, photos, labels, taxonomy) = EvaluateCommand.Score(folder, data, memory, "calibrating", cancellationToken);
        using (model)
        {
            var descriptor = model.Descriptor;
            var before = Evaluation.Of(labels, photos, ModelTools.Thresholds(taxonomy, descriptor));
            var temperature = descriptor.Temperature;
            var calibrated = photos;
            if (descriptor.Kind == ModelKind.Classifier)
            {
                // Scores back to logits at the manifest's temperature, over the model's own labels (the taxonomy's others
                // get nothing from it), then the temperature that fits them best.
                var own = descriptor.Labels.Select(code => taxonomy.Find(code)!.Index).Distinct().ToArray();
                var logits = photos.Select(p => own.Select(i => Math.Log(Math.Max(p.Probabilities[i], 1e-12))).ToArray()).ToList();
                var truth = photos.Select(p => Array.IndexOf(own, p.TrueLabel)).ToList();
                var scored = Enumerable.Range(0, photos.Count).Where(i => truth[i] >= 0).ToList();
                var fitted = ThresholdCalibration.FitTemperature([.. scored.Select(i => logits[i])], [.. scored.Select(i => truth[i])]);
                temperature = descriptor.Temperature * fitted;
                calibrated = [.. photos.Select((p, i) =>
                {
                    var softened = ClassifierScorer.Softmax([.. logits[i].Select(v => (float)v)], ModelOutputKind.Logits, fitted);
                    var row = new double[p.Probabilities.Length];
                    for (var k = 0; k < own.Length; k++)
                    {
                        row[own[k]] = softened[k];
                    }

                    return p with { Probabilities = row };
                })];
            }

            var found = ThresholdCalibration.Thresholds(calibrated, labels.Length, target);
            var manifest = ModelManifest.Load(Path.Combine(folder.FullName, "manifest.json"));
            var thresholds = new Dictionary<string, double>(manifest.Thresholds, StringComparer.Ordinal);
            var unreachable = new List<string>();
            foreach (var label in calibrated.Select(p => p.Predicted).Where(i => i < taxonomy.Count).Distinct().Order())
            {
                var code = taxonomy.Labels[label].Code;
                if (found[label] is { } threshold)
                {
                    // Rounded down: the least confident photo that set it must still reach it.
                    thresholds[code] = Math.Round(threshold, 4, MidpointRounding.ToNegativeInfinity);
                }
                else
                {
                    // Never right often enough: everything predicted as it goes to review.
                    thresholds[code] = 1.0;
                    unreachable.Add(code);
                }
            }

            var version = output.Name;
            WriteVersion(folder, output, manifest, version, thresholds, temperature, target, data);
            var after = Evaluation.Of(labels, calibrated, i => i < taxonomy.Count && thresholds.TryGetValue(taxonomy.Labels[i].Code, out var t)
                ? t : ModelTools.Thresholds(taxonomy, descriptor)(i));

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{descriptor.Name} {descriptor.Version} -> {descriptor.Name} {version}, calibrated on {photos.Count} photos for a precision of {target:0.###}"));
            var atBound = Math.Abs((temperature / descriptor.Temperature) - ThresholdCalibration.MinTemperature) < 1e-3
                || Math.Abs((temperature / descriptor.Temperature) - ThresholdCalibration.MaxTemperature) < 1e-2;
            Console.WriteLine(descriptor.Kind == ModelKind.Classifier
                ? string.Create(CultureInfo.InvariantCulture,
                    $"temperature {descriptor.Temperature:0.###} -> {temperature:0.###}{(atBound ? " (at the bound of the search: these photos are separated perfectly, so the fit says little)" : "")}")
                : "temperature: not used by an embedding model (its memory's softmax scale is Prototypes:Scale)");
            Console.WriteLine("label                threshold");
            foreach (var (code, threshold) in thresholds.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{code,-20} {threshold,9:0.0000}{(unreachable.Contains(code) ? "  (never reached the target: all to review)" : "")}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"auto-routed: before {before.AutoRouted} of {before.Photos} at precision {ModelTools.Percent(before.AutoRoutedPrecision)}; after {after.AutoRouted} of {after.Photos} at precision {ModelTools.Percent(after.AutoRoutedPrecision)}"));
            Console.WriteLine($"written: {output.FullName} (load it, shadow it, then activate it)");
            ModelTools.NoteIfSmall(photos.Count);
            return 0;
        }
    }

    /// <summary>The new version: every file of the old one but the manifest, copied; the manifest with the new figures.</summary>
    private static void WriteVersion(
        DirectoryInfo source, DirectoryInfo output, ModelManifest manifest, string version, Dictionary<string, double> thresholds, double temperature,
        double target, DirectoryInfo data)
    {
        output.Create();
        foreach (var file in source.EnumerateFiles().Where(f => f.Name != "manifest.json"))
        {
            file.CopyTo(Path.Combine(output.FullName, file.Name));
        }

        manifest.Version = version;
        manifest.Thresholds = thresholds;
        manifest.Temperature = temperature;
        manifest.Description = string.Create(CultureInfo.InvariantCulture,
            $"{manifest.Description} Calibrated from version {source.Name} on {data.FullName} for a precision of {target:0.###}.").Trim();
        manifest.Save(Path.Combine(output.FullName, "manifest.json"));
    }
}
