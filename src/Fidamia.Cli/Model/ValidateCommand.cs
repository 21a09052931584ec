using System.CommandLine;
using System.Globalization;
using Fidamia.Inference;
using Onnx;

namespace Fidamia.Cli.Model;

/// <summary>
/// <c>fidamia model validate DIR</c>: a version folder as the service would load it: its manifest against the ONNX file
/// (input and output names, shapes and types, the label count of a classifier), the file's opsets, and a smoke run.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("dir") { Description = "The model version folder (manifest.json beside its ONNX file)" };
        var command = new Command("validate", "Check a model version folder as the service would load it, and run it once") { folder };
        command.SetAction((result, _) => Task.FromResult(ModelTools.Run(() => Validate(result.GetValue(folder)!))));
        return command;
    }

    private static int Validate(DirectoryInfo folder)
    {
        // The service's own load: every check it makes, then a warm-up run on a blank image.
        var (model, manifest) = ModelTools.Load(folder, "dir");
        using (model)
        {
            var d = model.Descriptor;
            var file = Path.Combine(folder.FullName, manifest.File);
            var opsets = File.Exists(file)
                ? string.Join(", ", ModelProto.Parser.ParseFrom(File.ReadAllBytes(file)).OpsetImport.Select(o => $"{(o.Domain.Length == 0 ? "ai.onnx" : o.Domain)} {o.Version}"))
                : $"built at load ({model.DerivedAtLoad})";
            Console.WriteLine($"{d.Name} {d.Version}: valid");
            Console.WriteLine($"  kind        {manifest.Kind}, {model.Precision}");
            Console.WriteLine($"  input       {manifest.Input.Name}: float [{(d.MaxBatchSize > 1 ? "N" : "1")}, 3, {d.Input.Height}, {d.Input.Width}], {manifest.Input.ColorOrder}, {manifest.Input.Resize}");
            Console.WriteLine($"  output      {manifest.Output.Name}: {d.OutputLength} values ({manifest.Output.Kind})");
            Console.WriteLine(d.Kind == Core.Models.ModelKind.Classifier
                ? $"  labels      {d.Labels.Count}: {string.Join(", ", d.Labels)}"
                : "  labels      from the prototype memory");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  batch       up to {d.MaxBatchSize} per run"));
            Console.WriteLine($"  opsets      {opsets}");
            Console.WriteLine("  smoke run   ok");
            return 0;
        }
    }
}
