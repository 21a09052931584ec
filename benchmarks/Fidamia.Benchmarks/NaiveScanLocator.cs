using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using Fidamia.Gis;
using Fidamia.Gis.Sources;
using NetTopologySuite.Geometries;

namespace Fidamia.Benchmarks;

/// <summary>What a lookup answers, reduced to what the naive scan and the index must agree on.</summary>
/// <param name="Zones">Zone ids, ordinal order.</param>
internal sealed record ContextAnswer(string Commune, string? Arrondissement, string[] Zones, string? Road, double? RoadDistanceM, double? NearBoundaryM)
{
    public static ContextAnswer? Of(LocationContext? context) => context is null
        ? null
        : new ContextAnswer(
            context.Commune.Insee,
            context.Arrondissement?.Insee,
            [.. context.Zones.Select(z => z.Id)],
            context.Road?.Id,
            context.Road?.DistanceM,
            context.NearBoundaryM);

    /// <summary>The benchmarks' checksum, the same formula over either answer.</summary>
    public static long Checksum(string commune, bool arrondissement, int zones, bool road, bool nearBoundary) =>
        (commune[^2] * 10) + commune[^1] + (arrondissement ? 11 : 0) + (zones * 3) + (road ? 7 : 0) + (nearBoundary ? 13 : 0);

    public long Checksum() => Checksum(Commune, Arrondissement is not null, Zones.Length, Road is not null, NearBoundaryM is not null);

    /// <summary>Null when they agree, else what differs.</summary>
    public static string? Compare(ContextAnswer? naive, ContextAnswer? indexed)
    {
        if (naive is null || indexed is null)
        {
            return naive is null && indexed is null ? null : $"naive {Show(naive)} / indexed {Show(indexed)}";
        }

        var differences = new List<string>();
        if (naive.Commune != indexed.Commune)
        {
            differences.Add($"commune {naive.Commune} / {indexed.Commune}");
        }

        if (naive.Arrondissement != indexed.Arrondissement)
        {
            differences.Add($"arrondissement {naive.Arrondissement ?? "none"} / {indexed.Arrondissement ?? "none"}");
        }

        if (!naive.Zones.SequenceEqual(indexed.Zones))
        {
            differences.Add($"zones [{string.Join(",", naive.Zones)}] / [{string.Join(",", indexed.Zones)}]");
        }

        if (naive.Road != indexed.Road || !Same(naive.RoadDistanceM, indexed.RoadDistanceM))
        {
            differences.Add($"road {naive.Road ?? "none"} at {naive.RoadDistanceM:0.######} m / {indexed.Road ?? "none"} at {indexed.RoadDistanceM:0.######} m");
        }

        if (!Same(naive.NearBoundaryM, indexed.NearBoundaryM))
        {
            differences.Add($"near boundary {naive.NearBoundaryM:0.######} m / {indexed.NearBoundaryM:0.######} m");
        }

        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    private static bool Same(double? a, double? b) => a is null ? b is null : b is not null && Math.Abs(a.Value - b.Value) <= 1e-9;

    private static string Show(ContextAnswer? answer) => answer is null
        ? "outside every commune"
        : $"{answer.Commune} arr {answer.Arrondissement ?? "none"} zones [{string.Join(",", answer.Zones)}] road {answer.Road ?? "none"} boundary {answer.NearBoundaryM:0.######}";
}

/// <summary>
/// The reference the index is measured against: the same answer as <see cref="LayerSet.Locate"/>, computed by
/// brute force over every feature. Geometries are reprojected to Lambert-93 once, here, outside the measurement; each
/// lookup projects its point and tests every commune, arrondissement and zone with a plain (not prepared)
/// <c>Covers</c>, and measures its distance to every road and every other commune. With
/// <paramref name="envelopeFirst"/>, a smarter scan: still every feature, but an envelope test skips the road and
/// commune distances that cannot be within range.
/// </summary>
internal sealed class NaiveScanLocator(GisBenchmarkData data, bool envelopeFirst)
{
    // As LayerSet: a point on a shared edge may land a rounding error off it once reprojected.
    private const double OnBoundaryToleranceM = 1e-6;

    private readonly Feature[] _communes = Reproject(data.Communes, "insee", "territoire");
    private readonly Feature[] _arrondissements = Reproject(data.Arrondissements, "insee", "nom");
    private readonly Feature[] _zones = Reproject(data.Zones, "id", "type");
    private readonly Feature[] _roads = Reproject(data.Roads, "id", "owner");
    private readonly GeometryFactory _factory = new(new PrecisionModel(), Projections.Lambert93);
    private readonly double _roadDistanceM = data.Options.RoadDistanceM;
    private readonly double _boundaryDistanceM = data.Options.BoundaryDistanceM;

    public ContextAnswer? Locate(GeoPoint point)
    {
        var (x, y) = Projections.ToLambert93(point.Lon, point.Lat);
        var at = _factory.CreatePoint(new Coordinate(x, y));
        var commune = Covering(_communes, at);
        if (commune is null)
        {
            return null;
        }

        var arrondissement = Covering(_arrondissements, at);
        var zones = new List<string>();
        foreach (var zone in _zones)
        {
            if (Covers(zone.Geometry, at))
            {
                zones.Add(zone.Id);
            }
        }

        zones.Sort(StringComparer.Ordinal);

        Feature? road = null;
        var roadDistance = double.PositiveInfinity;
        foreach (var candidate in _roads)
        {
            if (envelopeFirst && candidate.Geometry.EnvelopeInternal.Distance(at.EnvelopeInternal) > _roadDistanceM)
            {
                continue;
            }

            var distance = candidate.Geometry.Distance(at);
            if (distance <= _roadDistanceM
                && (road is null || distance < roadDistance || (distance == roadDistance && string.CompareOrdinal(candidate.Id, road.Id) < 0)))
            {
                road = candidate;
                roadDistance = distance;
            }
        }

        double? boundary = null;
        foreach (var other in _communes)
        {
            if (other.Id == commune.Id
                || (envelopeFirst && other.Geometry.EnvelopeInternal.Distance(at.EnvelopeInternal) > _boundaryDistanceM))
            {
                continue;
            }

            var distance = other.Geometry.Distance(at);
            if (distance <= _boundaryDistanceM && (boundary is null || distance < boundary))
            {
                boundary = distance;
            }
        }

        return new ContextAnswer(commune.Id, arrondissement?.Id, [.. zones], road?.Id, road is null ? null : roadDistance, boundary);
    }

    /// <summary>The covering feature with the lowest id, as the service picks one on a shared boundary.</summary>
    private static Feature? Covering(Feature[] features, Point at)
    {
        Feature? best = null;
        foreach (var feature in features)
        {
            if ((best is null || string.CompareOrdinal(feature.Id, best.Id) < 0) && Covers(feature.Geometry, at))
            {
                best = feature;
            }
        }

        return best;
    }

    private static bool Covers(Geometry area, Point at) => area.Covers(at) || area.IsWithinDistance(at, OnBoundaryToleranceM);

    private static Feature[] Reproject(IReadOnlyList<SourceFeature> features, string id, string kind) =>
        [.. features.Select(f => new Feature(
            Projections.Reproject(f.Geometry, Projections.Wgs84, Projections.Lambert93),
            FeatureSources.Text(f.Attributes[id])!,
            FeatureSources.Text(f.Attributes[kind])!))];

    private sealed record Feature(Geometry Geometry, string Id, string Kind);
}
