using System.CommandLine;
using System.Globalization;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;
using Microsoft.Extensions.Options;

namespace Fidamia.Cli.Model;

/// <summary>
/// <c>fidamia model train --backbone DIR --data IMAGEFOLDER --out DIR</c>: a prototype memory for an embedding model,
/// learnt from labelled photos (a dataset export, for one) as the service would learn them from operators, written as
/// <c>OUT/&lt;model name&gt;.json</c>: what <c>evaluate --memory</c>, <c>calibrate --memory</c> and <c>export</c> read.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var backbone = new Option<DirectoryInfo>("--backbone") { Description = "The embedding model version folder", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "An ImageFolder: DIR/<label code>/*.jpg|png|webp", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write the memory into (absent or empty)", Required = true };
        var command = new Command("train", "Build a prototype memory for an embedding model from labelled photos") { backbone, data, output };
        command.SetAction((result, cancellationToken) => Task.FromResult(ModelTools.Run(() =>
            Train(result.GetValue(backbone)!, result.GetValue(data)!, result.GetValue(output)!, cancellationToken))));
        return command;
    }

    private static int Train(DirectoryInfo backboneFolder, DirectoryInfo data, DirectoryInfo output, CancellationToken cancellationToken)
    {
        ModelTools.CheckNewFolder(output);
        var taxonomy = ModelTools.Taxonomy();
        var photos = ModelTools.ImageFolder(data, taxonomy);
        var (model, _) = ModelTools.Load(backboneFolder, "--backbone");
        using (model)
        {
            if (model.Descriptor.Kind != ModelKind.Embedding)
            {
                throw new ToolUsageException($"--backbone {model.Descriptor.Name} {model.Descriptor.Version} is a classifier; a memory is learnt by an embedding model");
            }

            var decoder = ModelTools.Decoder();
            var examples = new List<PrototypeExample>();
            var skipped = 0;
            using (var progress = new ProgressBar($"embedding {photos.Count} photos with {model.Descriptor.Name} {model.Descriptor.Version}", photos.Count))
            {
                foreach (var photo in photos)
                {
                    try
                    {
                        examples.Add(new PrototypeExample($"photo:{photo.Name}", photo.Label, ModelTools.Run(model, decoder, photo.Path, cancellationToken)));
                    }
                    catch (Core.Errors.InvalidReportException ex)
                    {
                        skipped++;
                        Console.Error.WriteLine($"skipped {photo.Name}: {ex.Message}");
                    }

                    progress.Advance();
                }
            }

            var options = new PrototypeOptions();
            var memory = new PrototypeMemory(taxonomy, Options.Create(options), model.Descriptor.OutputLength, model.Descriptor.Name);
            memory.Add(examples);
            memory.Consolidate(cancellationToken);
            output.Create();
            var file = new PrototypeJsonFile(output.FullName);
            file.Save(model.Descriptor.Name, memory.Examples);

            Console.WriteLine($"memory of {model.Descriptor.Name}: {memory.Count} examples ({skipped} photos skipped), written to {file.PathFor(model.Descriptor.Name)}");
            Console.WriteLine("label                examples  prototypes  scored");
            foreach (var (label, prototypes) in memory.Prototypes.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var scored = prototypes.Sum(p => p.Weight) >= options.MinExamples;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-20} {prototypes.Sum(p => p.Members),8} {prototypes.Count,11}  {(scored ? "yes" : $"no (under {options.MinExamples} examples)")}"));
            }

            ModelTools.NoteIfSmall(photos.Count);
            return 0;
        }
    }
}
