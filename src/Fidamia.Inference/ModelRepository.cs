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
    /// The folder of a model version: the one named, else the highest of <paramref name="precision"/>
    /// (any precision when none is given, or when auto finds none of its choice); or a message saying what is missing.
    /// </summary>
    public string Resolve(string model, string? version, string? precision = null, bool strictPrecision = false)
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
            if (string.IsNullOrEmpty(precision))
            {
                return Path.Combine(Root, model, versions[^1]);
            }

            var ofPrecision = versions.Where(v => PrecisionOf(model, v) == precision).ToList();
            if (ofPrecision.Count > 0)
            {
                return Path.Combine(Root, model, ofPrecision[^1]);
            }

            return strictPrecision
                ? throw new ModelLoadException(
                    $"Models:Precision: model '{model}' has no {precision} version (it has {string.Join(", ", versions.Select(v => $"{v} ({PrecisionOf(model, v)})"))})")
                : Path.Combine(Root, model, versions[^1]);
        }

        return versions.Contains(version, StringComparer.Ordinal)
            ? Path.Combine(Root, model, version)
            : throw new ModelLoadException($"Models:Version: model '{model}' has no version '{version}' (it has {string.Join(", ", versions)})");
    }

    /// <summary>The version folder the options choose, with the precision wanted and why.</summary>
    public (string Directory, string Precision, string Reason) Choose(InferenceOptions options)
    {
        var (precision, reason) = Inference.Precision.Choose(options.Precision);
        var directory = Resolve(options.Default, options.Version, precision, strictPrecision: options.Precision != Inference.Precision.Auto);
        return (directory, precision, reason);
    }

    private string PrecisionOf(string model, string version)
    {
        try
        {
            return Inference.Precision.Of(ModelManifest.Load(Path.Combine(Root, model, version, "manifest.json")));
        }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException or ModelLoadException)
        {
            return "unreadable";
        }
    }
}
