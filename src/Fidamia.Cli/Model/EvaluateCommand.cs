using System.CommandLine;
using System.Globalization;
using System.Text;
using Fidamia.Core.Models;
using Fidamia.Core.Taxonomy;
using Fidamia.Imaging;
using Fidamia.Inference;

namespace Fidamia.Cli.Model;

/// <summary>
/// <c>fidamia model evaluate DIR --data IMAGEFOLDER</c>: a model version on labelled photos: accuracy, macro-F1, per-label
/// precision and recall, the confusion matrix (a table, <c>confusion.csv</c> and <c>confusion.png</c>), the expected
/// calibration error, and the share of reports the manifest's thresholds would route without review, with their precision.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("dir") { Description = "The model version folder" };
        var data = new Option<DirectoryInfo>("--data") { Description = "An ImageFolder: DIR/<label code>/*.jpg|png|webp", Required = true };
        var memory = new Option<DirectoryInfo?>("--memory") { Description = "For an embedding model: the memory `fidamia model train` wrote" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where to write confusion.csv, per-label.csv and confusion.png (default: the current folder's evaluation/)" };
        var command = new Command("evaluate", "Measure a model version on labelled photos (accuracy, F1, confusion, calibration, auto-routing)") { folder, data, memory, output };
        command.SetAction((result, cancellationToken) => Task.FromResult(ModelTools.Run(() =>
            Evaluate(result.GetValue(folder)!, result.GetValue(data)!, result.GetValue(memory), result.GetValue(output) ?? new DirectoryInfo("evaluation"), cancellationToken))));
        return command;
    }

    /// <summary>Runs every photo and scores it as the service's image evidence would (before context and declarations).</summary>
    internal static (OnnxImageModel Model, IReadOnlyList<EvaluatedPhoto> Photos, string[] Labels, Taxonomy Taxonomy) Score(
        DirectoryInfo folder, DirectoryInfo data, DirectoryInfo? memory, string verb, CancellationToken cancellationToken)
    {
        var taxonomy = ModelTools.Taxonomy();
        var photos = ModelTools.ImageFolder(data, taxonomy);
        var (model, _) = ModelTools.Load(folder, "dir");
        try
        {
            var scorer = ModelTools.Scorer(model, taxonomy, memory);
            var decoder = ModelTools.Decoder();
            var evaluated = new List<EvaluatedPhoto>();
            using (var progress = new ProgressBar($"{verb} {model.Descriptor.Name} {model.Descriptor.Version} on {photos.Count} photos", photos.Count))
            {
                foreach (var photo in photos)
                {
                    try
                    {
                        var evidence = scorer.Score(ModelTools.Run(model, decoder, photo.Path, cancellationToken));
                        evaluated.Add(new EvaluatedPhoto(photo.Name, taxonomy.Find(photo.Label)!.Index, ModelTools.Row(evidence)));
                    }
                    catch (Core.Errors.InvalidReportException ex)
                    {
                        Console.Error.WriteLine($"skipped {photo.Name}: {ex.Message}");
                    }

                    progress.Advance();
                }
            }

            return (model, evaluated, ModelTools.RowLabels(taxonomy), taxonomy);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static int Evaluate(DirectoryInfo folder, DirectoryInfo data, DirectoryInfo? memory, DirectoryInfo output, CancellationToken cancellationToken)
    {
        var (model, photos, labels, taxonomy) = Score(folder, data, memory, "evaluating", cancellationToken);
        using (model)
        {
            var report = Evaluation.Of(labels, photos, ModelTools.Thresholds(taxonomy, model.Descriptor));
            Print(model.Descriptor, report);
            output.Create();
            Write(report, output);
            Console.WriteLine($"written: {Path.Combine(output.FullName, "confusion.csv")}, per-label.csv, confusion.png");
            ModelTools.NoteIfSmall(report.Photos);
            return 0;
        }
    }

    internal static void Print(ModelDescriptor model, EvaluationReport report)
    {
        var shown = Occurring(report);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model.Name} {model.Version} on {report.Photos} photos: accuracy {ModelTools.Percent(report.Accuracy)}, macro-F1 {ModelTools.Number(report.MacroF1)}, expected calibration error {ModelTools.Number(report.ExpectedCalibrationError)}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"auto-routed at the manifest's thresholds: {report.AutoRouted} of {report.Photos} ({ModelTools.Percent(report.AutoRoutedShare)}), precision {ModelTools.Percent(report.AutoRoutedPrecision)}"));
        Console.WriteLine("label                support  predicted  precision  recall      F1");
        foreach (var i in shown)
        {
            var m = report.PerLabel[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{m.Label,-20} {m.Support,7} {m.Predicted,10} {ModelTools.Number(m.Precision),10} {ModelTools.Number(m.Recall),7} {ModelTools.Number(m.F1),7}"));
        }

        Console.WriteLine("confusion (rows: true label, columns: predicted)");
        Console.WriteLine($"{"",-20} {string.Join(" ", shown.Select(i => Short(report.Labels[i]).PadLeft(8)))}");
        foreach (var t in shown)
        {
            Console.WriteLine($"{report.Labels[t],-20} {string.Join(" ", shown.Select(p => report.Confusion[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(8)))}");
        }
    }

    /// <summary>The labels that occur as truth or as prediction: a taxonomy of twenty labels would otherwise fill the page with zeros.</summary>
    internal static int[] Occurring(EvaluationReport report) =>
        [.. Enumerable.Range(0, report.Labels.Count).Where(i => report.PerLabel[i].Support > 0 || report.PerLabel[i].Predicted > 0)];

    private static string Short(string label) => label.Length > 8 ? label[..8] : label;

    private static void Write(EvaluationReport report, DirectoryInfo output)
    {
        var shown = Occurring(report);
        var csv = new StringBuilder();
        csv.AppendLine("true\\predicted," + string.Join(",", shown.Select(i => report.Labels[i])));
        foreach (var t in shown)
        {
            csv.AppendLine(report.Labels[t] + "," + string.Join(",", shown.Select(p => report.Confusion[t, p].ToString(CultureInfo.InvariantCulture))));
        }

        File.WriteAllText(Path.Combine(output.FullName, "confusion.csv"), csv.ToString());
        var perLabel = new StringBuilder("label,support,predicted,correct,precision,recall,f1\n");
        foreach (var m in shown.Select(i => report.PerLabel[i]))
        {
            perLabel.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{m.Label},{m.Support},{m.Predicted},{m.Correct},{m.Precision?.ToString("0.####", CultureInfo.InvariantCulture)},{m.Recall?.ToString("0.####", CultureInfo.InvariantCulture)},{m.F1?.ToString("0.####", CultureInfo.InvariantCulture)}"));
        }

        File.WriteAllText(Path.Combine(output.FullName, "per-label.csv"), perLabel.ToString());
        var counts = new int[shown.Length, shown.Length];
        for (var t = 0; t < shown.Length; t++)
        {
            for (var p = 0; p < shown.Length; p++)
            {
                counts[t, p] = report.Confusion[shown[t], shown[p]];
            }
        }

        File.WriteAllBytes(
            Path.Combine(output.FullName, "confusion.png"),
            ConfusionChart.Render([.. shown.Select(i => report.Labels[i])], counts, string.Create(CultureInfo.InvariantCulture, $"accuracy {report.Accuracy:0.0%}, {report.Photos} photos")));
    }
}
