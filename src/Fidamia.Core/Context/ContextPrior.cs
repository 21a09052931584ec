using System.Globalization;
using Fidamia.Core.Location;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Context;

/// <summary>How much likelier each label is at a place: a multiplier per taxonomy label, and why.</summary>
public sealed record ContextPrior(IReadOnlyList<double> Multipliers, IReadOnlyList<string> Explanation);

public interface IContextPrior
{
    ContextPrior For(LocationContext context);
}

/// <summary>
/// Context priors from configuration: multipliers on labels per zone type the point lies in, and
/// for a point on or off a road. E.g. in a park vegetation and furniture are likelier; on a road,
/// potholes. <c>ContextPriors:Zones:park:vegetation=2</c>. Empty (the default) is neutral.
/// </summary>
public sealed class ContextPriorOptions
{
    public const string SectionName = "ContextPriors";

    /// <summary>Zone type → label code → multiplier.</summary>
    public Dictionary<string, Dictionary<string, double>> Zones { get; set; } = [];

    /// <summary>Label code → multiplier, when a road segment is within the road distance.</summary>
    public Dictionary<string, double> Road { get; set; } = [];

    /// <summary>Label code → multiplier, when no road segment is near.</summary>
    public Dictionary<string, double> NoRoad { get; set; } = [];
}

public sealed class ConfiguredContextPrior : IContextPrior
{
    private readonly Taxonomy.Taxonomy _taxonomy;
    private readonly Dictionary<string, double[]> _zones;
    private readonly double[]? _road;
    private readonly double[]? _noRoad;
    private readonly double[] _neutral;

    public ConfiguredContextPrior(Taxonomy.Taxonomy taxonomy, IOptions<ContextPriorOptions> options)
    {
        _taxonomy = taxonomy;
        var o = options.Value;
        _neutral = Enumerable.Repeat(1.0, taxonomy.Count).ToArray();
        _zones = o.Zones.ToDictionary(z => z.Key, z => Vector(z.Value, $"ContextPriors:Zones:{z.Key}"), StringComparer.Ordinal);
        _road = o.Road.Count > 0 ? Vector(o.Road, "ContextPriors:Road") : null;
        _noRoad = o.NoRoad.Count > 0 ? Vector(o.NoRoad, "ContextPriors:NoRoad") : null;
    }

    public ContextPrior For(LocationContext context)
    {
        var explanation = new List<string>();
        double[]? result = null;
        void Apply(double[] multipliers, string why)
        {
            result ??= (double[])_neutral.Clone();
            for (var i = 0; i < result.Length; i++)
            {
                result[i] *= multipliers[i];
            }

            explanation.Add(why);
        }

        // Each zone type counts once, however many of its zones overlap the point.
        foreach (var type in context.Zones.Select(z => z.Type).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (_zones.TryGetValue(type, out var multipliers))
            {
                Apply(multipliers, $"context prior: in a '{type}' zone ({Describe(multipliers)})");
            }
        }

        if (context.Road is not null && _road is not null)
        {
            Apply(_road, $"context prior: on a road ({Describe(_road)})");
        }
        else if (context.Road is null && _noRoad is not null)
        {
            Apply(_noRoad, $"context prior: off the roads ({Describe(_noRoad)})");
        }

        return new ContextPrior(result ?? _neutral, explanation);
    }

    private double[] Vector(Dictionary<string, double> multipliers, string key)
    {
        var vector = (double[])_neutral.Clone();
        foreach (var (code, value) in multipliers)
        {
            var label = _taxonomy.Find(code)
                ?? throw new OptionsValidationException(key, typeof(ContextPriorOptions), [$"{key}:{code}: '{code}' is not a label of the taxonomy"]);
            if (!(value > 0) || !double.IsFinite(value))
            {
                throw new OptionsValidationException(key, typeof(ContextPriorOptions), [$"{key}:{code}: {value} must be a positive multiplier"]);
            }

            vector[label.Index] = value;
        }

        return vector;
    }

    private string Describe(double[] multipliers) => string.Join(
        ", ",
        _taxonomy.Labels.Where(l => multipliers[l.Index] != 1.0)
            .Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Code} x{multipliers[l.Index]:0.##}")));
}
