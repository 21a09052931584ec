using System.CommandLine;
using System.Globalization;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;
using Fidamia.Inference;
using Fidamia.Inference.Export;
using Google.Protobuf;
using Onnx;

namespace Fidamia.Cli.Model;

/// <summary>
/// <c>fidamia model export --backbone DIR --memory DIR --data IMAGEFOLDER --out NEWDIR</c>: one ONNX classifier from an
/// embedding backbone and its prototype memory (see <see cref="PrototypeHeadExport"/>), with its manifest, checked
/// before it is kept: the service's own load, a batch of two against two single runs, and the same top label as the
/// memory on the given photos.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var backbone = new Option<DirectoryInfo>("--backbone") { Description = "The embedding model version folder (fp32, with its ONNX file)", Required = true };
        var memory = new Option<DirectoryInfo>("--memory") { Description = "The memory `fidamia model train` wrote for it", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "An ImageFolder to check the classifier against the memory on", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The new version folder (absent or empty): <repository>/<name>/<version>", Required = true };
        var name = new Option<string?>("--name") { Description = "The classifier's model name (default: its folder's parent's name)" };
        var command = new Command("export", "Turn an embedding backbone and its prototype memory into one ONNX classifier with its manifest") { backbone, memory, data, output, name };
        command.SetAction((result, cancellationToken) => Task.FromResult(ModelTools.Run(() => Export(
            result.GetValue(backbone)!, result.GetValue(memory)!, result.GetValue(data)!, result.GetValue(output)!, result.GetValue(name), cancellationToken))));
        return command;
    }

    private static int Export(DirectoryInfo backboneFolder, DirectoryInfo memoryFolder, DirectoryInfo data, DirectoryInfo output, string? name, CancellationToken cancellationToken)
    {
        ModelTools.CheckNewFolder(output, backboneFolder);
        var taxonomy = ModelTools.Taxonomy();
        var photos = ModelTools.ImageFolder(data, taxonomy);
        var (backbone, manifest) = ModelTools.Load(backboneFolder, "--backbone");
        using (backbone)
        {
            var file = Path.Combine(backboneFolder.FullName, manifest.File);
            if (backbone.Descriptor.Kind != ModelKind.Embedding || !File.Exists(file))
            {
                throw new ToolUsageException($"--backbone {backbone.Descriptor.Name} {backbone.Descriptor.Version}: an embedding model with its ONNX file is needed (not a classifier, not a version built at load)");
            }

            var memory = ModelTools.LoadMemory(memoryFolder, backbone.Descriptor, taxonomy);
            var vectors = memory.ScoringVectors();
            if (vectors.Count < 2)
            {
                throw new ToolUsageException($"--memory: {vectors.Count} label(s) with enough examples; a classifier needs at least 2");
            }

            var labels = vectors.OrderBy(v => taxonomy.Find(v.Key)!.Index).Select(v => new ExportedLabel(v.Key, v.Value)).ToList();
            var scale = new PrototypeOptions().Scale;
            var classifier = PrototypeHeadExport.Build(ModelProto.Parser.ParseFrom(File.ReadAllBytes(file)), manifest.Output.Name, backbone.Descriptor.OutputLength, labels, scale);

            var modelName = name ?? output.Parent?.Name ?? "classifier";
            var version = output.Name;
            output.Create();
            File.WriteAllBytes(Path.Combine(output.FullName, "model.onnx"), classifier.ToByteArray());
            manifest.Name = modelName;
            manifest.Version = version;
            manifest.Kind = "classifier";
            manifest.File = "model.onnx";
            manifest.Precision = "fp32";
            manifest.DerivedFrom = $"{backbone.Descriptor.Name}/{backbone.Descriptor.Version}";
            manifest.Description = string.Create(CultureInfo.InvariantCulture,
                $"{backbone.Descriptor.Name} {backbone.Descriptor.Version} with a prototype head: {labels.Sum(l => l.Centres.Count)} prototypes of {labels.Count} labels, cosine x {scale} then softmax. No open-set rule: every photo gets a label, judged by the thresholds.");
            manifest.Source = $"fidamia model export from {memoryFolder.FullName}";
            manifest.Labels = [.. labels.Select(l => l.Code)];
            manifest.Output = new ModelManifest.OutputSection { Name = PrototypeHeadExport.OutputName, Kind = "probabilities" };
            manifest.Thresholds = [];
            manifest.Temperature = 1;
            manifest.MaxBatchSize = 8;
            manifest.Calibration = null;
            manifest.Save(Path.Combine(output.FullName, "manifest.json"));

            var failed = Check(output, backbone, memory, photos, taxonomy, cancellationToken);
            if (failed is not null)
            {
                Console.Error.WriteLine($"error: {failed}; the export is left in {output.FullName} to look at, not to serve");
                return ModelTools.ExitFailed;
            }

            Console.WriteLine($"written: {output.FullName} ({modelName} {version}: {labels.Count} labels, {labels.Sum(l => l.Centres.Count)} prototypes, dynamic batch up to 8)");
            ModelTools.NoteIfSmall(photos.Count);
            return 0;
        }
    }

    /// <summary>The checks before the export is kept; null when they pass, else what failed.</summary>
    private static string? Check(
        DirectoryInfo output, OnnxImageModel backbone, PrototypeMemory memory, IReadOnlyList<LabelledPhoto> photos, Core.Taxonomy.Taxonomy taxonomy,
        CancellationToken cancellationToken)
    {
        OnnxImageModel exported;
        try
        {
            exported = OnnxImageModel.Load(output.FullName, new InferenceOptions());
        }
        catch (ModelLoadException ex)
        {
            return $"the service would not load it: {ex.Message}";
        }

        using (exported)
        {
            var decoder = ModelTools.Decoder();
            var scorer = new ClassifierScorer(taxonomy, exported.Descriptor);
            var (same, compared, unknown) = (0, 0, 0);
            var tensors = new List<float[]>();
            using (var progress = new ProgressBar($"checking {exported.Descriptor.Name} against the memory on {photos.Count} photos", photos.Count))
            {
                foreach (var photo in photos)
                {
                    var spec = backbone.Descriptor.Input;
                    var tensor = new float[spec.Length];
                    decoder.DecodeInto(File.ReadAllBytes(photo.Path), spec, tensor, cancellationToken);

                    tensors.Add(tensor);
                    var embedding = new float[backbone.Descriptor.OutputLength];
                    backbone.Run(tensor, embedding, cancellationToken);
                    var byMemory = memory.Score(embedding);
                    var probabilities = new float[exported.Descriptor.OutputLength];
                    exported.Run(tensor, probabilities, cancellationToken);
                    var byClassifier = scorer.Score(probabilities);
                    if (!byMemory.Informative)
                    {
                        unknown++;
                    }
                    else
                    {
                        compared++;
                        same += Top(byMemory) == Top(byClassifier) ? 1 : 0;
                    }

                    progress.Advance();
                }
            }

            Console.WriteLine($"same top label as the memory: {same} of {compared} photos ({unknown} the memory calls unknown, which the classifier cannot say)");
            if (same != compared)
            {
                return $"the classifier disagrees with the memory on {compared - same} photos";
            }

            // The batch dimension: two photos in one run give what they give alone.
            if (tensors.Count >= 2)
            {
                var length = exported.Descriptor.OutputLength;
                var batch = new float[2 * length];
                exported.Run(tensors[0].Concat(tensors[1]).ToArray(), 2, batch, cancellationToken);
                var (first, second) = (new float[length], new float[length]);
                exported.Run(tensors[0], first, cancellationToken);
                exported.Run(tensors[1], second, cancellationToken);
                var gap = first.Concat(second).Zip(batch).Max(p => Math.Abs(p.First - p.Second));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch of 2 against single runs: largest difference {gap:0.######}"));
                if (gap > 1e-4)
                {
                    return "a batch of two does not give what single runs give";
                }
            }

            return null;
        }
    }

    private static int Top(ImageEvidence evidence) => Array.IndexOf(evidence.Probabilities, evidence.Probabilities.Max());
}
