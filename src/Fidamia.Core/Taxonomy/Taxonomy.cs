using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fidamia.Core.Taxonomy;

/// <summary>A family groups labels that one kind of service usually owns (voirie, propreté...).</summary>
public sealed record TaxonomyFamily(string Code, string Name);

/// <summary>A label of the taxonomy. <see cref="Index"/> is its position in every probability vector.</summary>
public sealed record TaxonomyLabel(int Index, string Code, string Name, TaxonomyFamily Family, double? Threshold);

/// <summary>The labels the service can give, loaded once from the taxonomy file. Immutable and thread-safe.</summary>
public sealed class Taxonomy
{
    private readonly FrozenDictionary<string, TaxonomyLabel> _byCode;

    public Taxonomy(IEnumerable<TaxonomyFamily> families, IEnumerable<(string Code, string Name, string Family, double? Threshold)> labels)
    {
        var familyByCode = new Dictionary<string, TaxonomyFamily>(StringComparer.Ordinal);
        foreach (var family in families)
        {
            if (!TaxonomyCode.IsValid(family.Code))
            {
                throw new TaxonomyException($"family code '{family.Code}' must match {TaxonomyCode.Pattern}");
            }

            if (!familyByCode.TryAdd(family.Code, family))
            {
                throw new TaxonomyException($"family '{family.Code}' is declared twice");
            }
        }

        var list = new List<TaxonomyLabel>();
        foreach (var (code, name, familyCode, threshold) in labels)
        {
            if (!TaxonomyCode.IsValid(code))
            {
                throw new TaxonomyException($"label code '{code}' must match {TaxonomyCode.Pattern}");
            }

            if (!familyByCode.TryGetValue(familyCode, out var family))
            {
                throw new TaxonomyException($"label '{code}' names unknown family '{familyCode}'");
            }

            if (threshold is { } t && !(t is > 0 and <= 1))
            {
                throw new TaxonomyException($"label '{code}' has threshold {t}; it must be in (0, 1]");
            }

            if (list.Any(l => l.Code == code))
            {
                throw new TaxonomyException($"label '{code}' is declared twice");
            }

            list.Add(new TaxonomyLabel(list.Count, code, string.IsNullOrWhiteSpace(name) ? code : name, family, threshold));
        }

        if (list.Count < 2)
        {
            throw new TaxonomyException("the taxonomy needs at least two labels");
        }

        Labels = list;
        Families = [.. familyByCode.Values];
        _byCode = list.ToFrozenDictionary(l => l.Code, StringComparer.Ordinal);
    }

    public IReadOnlyList<TaxonomyLabel> Labels { get; }

    public IReadOnlyList<TaxonomyFamily> Families { get; }

    public int Count => Labels.Count;

    public TaxonomyLabel? Find(string code) => _byCode.GetValueOrDefault(code);

    public static Taxonomy Load(string path)
    {
        TaxonomyFile? file;
        try
        {
            using var stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize(stream, TaxonomyJsonContext.Default.TaxonomyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new TaxonomyException($"cannot read taxonomy file '{path}': {ex.Message}", ex);
        }

        if (file is null)
        {
            throw new TaxonomyException($"taxonomy file '{path}' is empty");
        }

        return new Taxonomy(
            file.Families.Select(f => new TaxonomyFamily(f.Code, f.Name)),
            file.Labels.Select(l => (l.Code, l.Name, l.Family, l.Threshold)));
    }
}

public static class TaxonomyCode
{
    public const string Pattern = "[a-z][a-z0-9_]{0,63}";

    public static bool IsValid(string? code) =>
        !string.IsNullOrEmpty(code) && code.Length <= 64 && code[0] is >= 'a' and <= 'z'
        && code.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');
}

public sealed class TaxonomyException(string message, Exception? inner = null) : Exception(message, inner);

internal sealed class TaxonomyFile
{
    public List<FamilyEntry> Families { get; set; } = [];

    public List<LabelEntry> Labels { get; set; } = [];

    internal sealed class FamilyEntry
    {
        public string Code { get; set; } = "";

        public string Name { get; set; } = "";
    }

    internal sealed class LabelEntry
    {
        public string Code { get; set; } = "";

        public string Name { get; set; } = "";

        public string Family { get; set; } = "";

        public double? Threshold { get; set; }
    }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(TaxonomyFile))]
internal sealed partial class TaxonomyJsonContext : JsonSerializerContext;
