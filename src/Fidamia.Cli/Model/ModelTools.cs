using System.Diagnostics;
using System.Globalization;
using Fidamia.Core;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;
using Fidamia.Core.Taxonomy;
using Fidamia.Imaging;
using Fidamia.Inference;
using Microsoft.Extensions.Options;

namespace Fidamia.Cli.Model;

/// <summary>A problem with what the command was given: printed as "error: ..." with exit code 2.</summary>
internal sealed class ToolUsageException(string message) : Exception(message);

/// <summary>One labelled photo of an ImageFolder (<c>DIR/&lt;label code&gt;/photo</c>).</summary>
internal sealed record LabelledPhoto(string Label, string Path, string Name);

/// <summary>What the offline model tools share: loading a version, reading an ImageFolder, running photos, a progress bar.</summary>
internal static class ModelTools
{
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    /// <summary>Under this many photos, the figures come with a warning.</summary>
    private const int FewPhotos = 500;

    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp"];

    /// <summary>Runs a tool body; usage problems exit 2 with their message.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ToolUsageException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return ExitUsage;
        }
    }

    public static Taxonomy Taxonomy() => Core.Taxonomy.Taxonomy.Load(Path.Combine(AppContext.BaseDirectory, "taxonomy.json"));

    public static IPhotoDecoder Decoder() => ImagingHostingExtensions.CreateDecoder(Options.Create(new ImagingOptions()));

    /// <summary>A model version folder loaded as the service loads it: manifest checked against the session, warmed up.</summary>
    public static (OnnxImageModel Model, ModelManifest Manifest) Load(DirectoryInfo folder, string option)
    {
        var manifestPath = Path.Combine(folder.FullName, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            throw new ToolUsageException($"{option} {folder.FullName} is not a model version folder (no manifest.json)");
        }

        try
        {
            return (OnnxImageModel.Load(folder.FullName, new InferenceOptions()), ModelManifest.Load(manifestPath));
        }
        catch (ModelLoadException ex)
        {
            throw new ToolUsageException($"{option}: {ex.Message}");
        }
    }

    /// <summary>The photos of an ImageFolder, sorted; every subfolder must be a label code of the taxonomy.</summary>
    public static IReadOnlyList<LabelledPhoto> ImageFolder(DirectoryInfo data, Taxonomy taxonomy, string option = "--data")
    {
        if (!data.Exists)
        {
            throw new ToolUsageException($"{option} {data.FullName} is not a folder");
        }

        var photos = new List<LabelledPhoto>();
        foreach (var folder in data.EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            if (taxonomy.Find(folder.Name) is null)
            {
                throw new ToolUsageException($"{option}: folder '{folder.Name}' is not a label code of the taxonomy");
            }

            photos.AddRange(folder.EnumerateFiles()
                .Where(f => Extensions.Contains(f.Extension, StringComparer.OrdinalIgnoreCase))
                .OrderBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => new LabelledPhoto(folder.Name, f.FullName, $"{folder.Name}/{f.Name}")));
        }

        return photos.Count > 0
            ? photos
            : throw new ToolUsageException($"{option} {data.FullName} holds no photo in label folders (DIR/<label code>/*.jpg|png|webp)");
    }

    /// <summary>The model's output for a photo file, decoded as the service decodes it.</summary>
    public static float[] Run(OnnxImageModel model, IPhotoDecoder decoder, string path, CancellationToken cancellationToken)
    {
        var spec = model.Descriptor.Input;
        var tensor = new float[spec.Length];
        decoder.DecodeInto(File.ReadAllBytes(path), spec, tensor, cancellationToken);

        var output = new float[model.Descriptor.OutputLength];
        model.Run(tensor, output, cancellationToken);
        return output;
    }

    /// <summary>
    /// How an evaluation scores a model's output: a classifier through its own head, an embedding model through a memory
    /// (<c>train</c>'s output), which may say "unknown" (the open-set rule).
    /// </summary>
    public static IImageScorer Scorer(OnnxImageModel model, Taxonomy taxonomy, DirectoryInfo? memory)
    {
        if (model.Descriptor.Kind == ModelKind.Classifier)
        {
            return memory is null
                ? new ClassifierScorer(taxonomy, model.Descriptor)
                : throw new ToolUsageException("--memory is for embedding models; this one is a classifier");
        }

        if (memory is null)
        {
            throw new ToolUsageException($"{model.Descriptor.Name} is an embedding model: give --memory DIR (what `fidamia model train` wrote)");
        }

        return LoadMemory(memory, model.Descriptor, taxonomy);
    }

    public static PrototypeMemory LoadMemory(DirectoryInfo folder, ModelDescriptor model, Taxonomy taxonomy)
    {
        var file = new PrototypeJsonFile(folder.FullName);
        if (!File.Exists(file.PathFor(model.Name)))
        {
            throw new ToolUsageException($"--memory {folder.FullName} holds no memory of model '{model.Name}' ({Path.GetFileName(file.PathFor(model.Name))})");
        }

        var memory = new PrototypeMemory(taxonomy, Options.Create(new PrototypeOptions()), model.OutputLength, model.Name);
        memory.Add(file.Load(model.Name));
        memory.Consolidate();
        return memory;
    }

    /// <summary>The image evidence as an evaluation row: the taxonomy's labels, then "unknown" for a photo the scorer says nothing about.</summary>
    public static double[] Row(ImageEvidence evidence)
    {
        var row = new double[evidence.Probabilities.Length + 1];
        if (evidence.Informative)
        {
            for (var i = 0; i < evidence.Probabilities.Length; i++)
            {
                row[i] = evidence.Probabilities[i];
            }
        }
        else
        {
            row[^1] = 1;
        }

        return row;
    }

    public static string[] RowLabels(Taxonomy taxonomy) => [.. taxonomy.Labels.Select(l => l.Code), "(unknown)"];

    /// <summary>The routing threshold of each row label, as the service applies it; "unknown" is never routed.</summary>
    public static Func<int, double> Thresholds(Taxonomy taxonomy, ModelDescriptor model)
    {
        var defaultThreshold = new TriageOptions().DefaultThreshold;
        return i => i < taxonomy.Count ? Core.Pipeline.TriagePolicy.Threshold(taxonomy.Labels[i], model.Thresholds, defaultThreshold) : double.PositiveInfinity;
    }

    /// <summary>A new version folder: absent or empty, and not the one read from.</summary>
    public static void CheckNewFolder(DirectoryInfo output, DirectoryInfo? source = null)
    {
        if (source is not null && Path.GetFullPath(output.FullName).TrimEnd('/') == Path.GetFullPath(source.FullName).TrimEnd('/'))
        {
            throw new ToolUsageException($"--out {output.FullName} is the version read from: a tool never edits a version, it writes a new one");
        }

        if (output.Exists && output.EnumerateFileSystemInfos().Any())
        {
            throw new ToolUsageException($"--out {output.FullName} is not empty; give a new version folder");
        }
    }

    /// <summary>Said beside figures measured on a handful of photos; nothing for a real dataset.</summary>
    public static void NoteIfSmall(int count, string what = "photos")
    {
        if (count < FewPhotos)
        {
            Console.WriteLine($"note: {count} {what} only: these figures show that the tool works, not how good the model is");
        }
    }

    public static string Percent(double? value) => value is { } v ? v.ToString("0.0%", CultureInfo.InvariantCulture) : "-";

    public static string Number(double? value, string format = "0.000") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}

/// <summary>A progress bar on stderr when it is a terminal; a line at the start and at the end otherwise.</summary>
internal sealed class ProgressBar : IDisposable
{
    private const int Width = 30;
    private readonly string _what;
    private readonly int _total;
    private readonly TextWriter? _terminal = Console.IsErrorRedirected ? null : Console.Error;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1;
    private int _done;

    public ProgressBar(string what, int total)
    {
        (_what, _total) = (what, total);
        if (_terminal is null)
        {
            Console.Error.WriteLine($"{what}: {total} ...");
        }
    }

    public void Advance()
    {
        _done++;
        if (_terminal is null || (_clock.ElapsedMilliseconds - _lastDraw < 100 && _done < _total))
        {
            return;
        }

        _lastDraw = _clock.ElapsedMilliseconds;
        var filled = _total == 0 ? Width : _done * Width / _total;
        _terminal.Write(string.Create(CultureInfo.InvariantCulture, $"\r{_what} [{new string('#', filled)}{new string('.', Width - filled)}] {_done}/{_total} {_clock.Elapsed.TotalSeconds:0.0} s"));
    }

    public void Dispose()
    {
        if (_terminal is not null)
        {
            _terminal.WriteLine();
        }
        else
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_what}: {_done}/{_total} done in {_clock.Elapsed.TotalSeconds:0.0} s"));
        }
    }
}
