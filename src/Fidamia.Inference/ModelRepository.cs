using System.Globalization;

namespace Fidamia.Inference;

/// <summary>
/// A folder of models laid out as <c>&lt;name&gt;/&lt;version&gt;/manifest.json</c> beside the model file,
/// as in Triton's model repository. Versions sort numerically when they are numbers.
/// </summary>
public sealed class ModelRepository(string root)
{
    public string Root { get; } = root;

    public IReadOnlyList<string> Models() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The versions of a model that have a manifest, oldest first.</summary>
    public IReadOnlyList<string> Versions(string model)
    {
        var directory = Path.Combine(Root, model);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.EnumerateDirectories(directory)
            .Where(d => File.Exists(Path.Combine(d, "manifest.json")))
            .Select(Path.GetFileName)
            .OfType<string>()
            .OrderBy(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue)
            .ThenBy(v => v, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The folder of a model version (the highest when <paramref name="version"/> is empty, passing over derived versions
    /// whose model file has not been built), or a message saying what is missing.
    /// </summary>
    public string Resolve(string model, string? version)
    {
        if (!Directory.Exists(Root))
        {
            throw new ModelLoadException($"Models:Path: the model repository '{Root}' does not exist");
        }

        var versions = Versions(model);
        if (versions.Count == 0)
        {
            var known = Models();
            throw new ModelLoadException(
                $"Models:Default: no version of model '{model}' in {Root} (models there: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
        }

        if (string.IsNullOrEmpty(version))
        {
            var built = versions.Where(v => !IsUnbuiltDerived(Path.Combine(Root, model, v))).ToList();
            return Path.Combine(Root, model, (built.Count > 0 ? built : versions)[^1]);
        }

        return versions.Contains(version, StringComparer.Ordinal)
            ? Path.Combine(Root, model, version)
            : throw new ModelLoadException($"Models:Version: model '{model}' has no version '{version}' (it has {string.Join(", ", versions)})");
    }

    public OnnxImageModel Load(string model, string? version, InferenceOptions options) =>
        OnnxImageModel.Load(Resolve(model, version), options);

    /// <summary>
    /// A derived version (an int8 one: manifest and calibration ranges committed, its ONNX file built from the fp32
    /// version's) that has no model file yet. Picking it by default would stop the service at start; named
    /// explicitly it still fails, saying which file is missing.
    /// </summary>
    private static bool IsUnbuiltDerived(string versionDirectory)
    {
        try
        {
            var manifest = ModelManifest.Load(Path.Combine(versionDirectory, "manifest.json"));
            return manifest.DerivedFrom is not null && !File.Exists(Path.Combine(versionDirectory, manifest.File));
        }
        catch (ModelLoadException)
        {
            // Not ours to judge here: the load reports a broken manifest, naming the field.
            return false;
        }
    }
}
