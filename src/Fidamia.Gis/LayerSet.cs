using System.Globalization;
using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using NetTopologySuite.Geometries;

namespace Fidamia.Gis;

/// <summary>
/// An immutable snapshot of every loaded layer. <see cref="Locate"/> projects the point into Lambert-93 once and
/// asks each layer's index; it is read-only and thread-safe. A reload makes a new snapshot with <see cref="With"/>.
/// </summary>
public sealed class LayerSet : ILocator
{
    // A point on a shared edge may land a rounding error (nanometres) off it once reprojected: still on it.
    private const double OnBoundaryToleranceM = 1e-6;

    private readonly GisLayer[] _arrondissements;
    private readonly GisLayer[] _zones;
    private readonly GisLayer[] _roads;

    /// <param name="roadDistanceM">The farthest a road may be and still be reported.</param>
    /// <param name="boundaryDistanceM">The farthest another commune may be and still flag the point as near a boundary.</param>
    /// <exception cref="ArgumentException">Not exactly one commune layer, or two layers share a name.</exception>
    public LayerSet(IEnumerable<GisLayer> layers, double roadDistanceM = 30, double boundaryDistanceM = 25)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = [.. layers];
        var communes = Layers.Where(l => l.Role == LayerRole.Commune).ToArray();
        if (communes.Length != 1)
        {
            throw new ArgumentException($"exactly one commune layer is required, not {communes.Length}", nameof(layers));
        }

        var duplicate = Layers.GroupBy(l => l.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"two layers are named '{duplicate.Key}'", nameof(layers));
        }

        Communes = communes[0];
        _arrondissements = [.. Layers.Where(l => l.Role == LayerRole.Arrondissement)];
        _zones = [.. Layers.Where(l => l.Role is LayerRole.Zone or LayerRole.Sector)];
        _roads = [.. Layers.Where(l => l.Role == LayerRole.Road)];
        RoadDistanceM = roadDistanceM;
        BoundaryDistanceM = boundaryDistanceM;
    }

    public IReadOnlyList<GisLayer> Layers { get; }

    public GisLayer Communes { get; }

    public double RoadDistanceM { get; }

    public double BoundaryDistanceM { get; }

    /// <summary>The layer named <paramref name="name"/>, or null.</summary>
    public GisLayer? this[string name] => Layers.FirstOrDefault(l => l.Name == name);

    /// <summary>A new snapshot with <paramref name="replacement"/> in place of the layer of the same name.</summary>
    public LayerSet With(GisLayer replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        return new LayerSet(Layers.Select(l => l.Name == replacement.Name ? replacement : l), RoadDistanceM, BoundaryDistanceM);
    }

    public LocationContext? Locate(GeoPoint point)
    {
        if (!point.IsValid)
        {
            return null;
        }

        var (x, y) = Projections.ToLambert93(point.Lon, point.Lat);
        if (!double.IsFinite(x) || !double.IsFinite(y))
        {
            return null;
        }

        var at = Projections.MetricFactory.CreatePoint(new Coordinate(x, y));
        var commune = Covering(Communes, at, "insee");
        if (commune is null)
        {
            return null;
        }

        var matches = new List<string>
        {
            $"{Communes.Name}: {commune["insee"]} {commune["nom"]} ({commune["territoire"]})",
        };

        CommuneRef? arrondissement = null;
        foreach (var layer in _arrondissements)
        {
            var found = Covering(layer, at, "insee");
            if (found is not null)
            {
                arrondissement ??= new CommuneRef(found["insee"], found["nom"]);
                matches.Add($"{layer.Name}: {found["insee"]} {found["nom"]}");
            }
        }

        var zones = new List<ZoneRef>();
        foreach (var layer in _zones)
        {
            foreach (var zone in AllCovering(layer, at))
            {
                zones.Add(new ZoneRef(layer.Name, zone["id"], zone["type"], zone["name"]));
                matches.Add($"{layer.Name}: {zone["type"]} '{zone["id"]}' {zone["name"]}");
            }
        }

        var road = NearestRoad(at);
        if (road is not null)
        {
            matches.Add(string.Create(CultureInfo.InvariantCulture, $"{road.Layer}: {road.Id} {road.Name} ({road.Owner}) at {road.DistanceM:0} m"));
        }

        var (boundaryM, neighbour) = NearestOtherCommune(at, commune);
        if (neighbour is not null)
        {
            matches.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Communes.Name}: {boundaryM:0} m from the boundary with {neighbour["insee"]} {neighbour["nom"]}"));
        }

        return new LocationContext(new CommuneRef(commune["insee"], commune["nom"]), commune["territoire"])
        {
            Arrondissement = arrondissement,
            Zones = zones,
            Road = road,
            NearBoundaryM = neighbour is null ? null : boundaryM,
            Matches = matches,
        };
    }

    /// <summary>The covering feature with the lowest key: on a boundary shared by several, whatever the file's order.</summary>
    private static LayerFeature? Covering(GisLayer layer, Point at, string key)
    {
        LayerFeature? best = null;
        foreach (var candidate in layer.Candidates(at.EnvelopeInternal))
        {
            if ((best is null || string.CompareOrdinal(candidate[key], best[key]) < 0) && Covers(candidate, at))
            {
                best = candidate;
            }
        }

        return best;
    }

    private static IEnumerable<LayerFeature> AllCovering(GisLayer layer, Point at) =>
        layer.Candidates(at.EnvelopeInternal).Where(c => Covers(c, at)).OrderBy(c => c["id"], StringComparer.Ordinal);

    private static bool Covers(LayerFeature feature, Point at) =>
        feature.Area!.Covers(at) || feature.Geometry.IsWithinDistance(at, OnBoundaryToleranceM);

    private RoadRef? NearestRoad(Point at)
    {
        RoadRef? best = null;
        foreach (var layer in _roads)
        {
            var search = at.EnvelopeInternal.Copy();
            search.ExpandBy(RoadDistanceM);
            foreach (var candidate in layer.Candidates(search))
            {
                var distance = candidate.Geometry.Distance(at);
                if (distance <= RoadDistanceM
                    && (best is null || distance < best.DistanceM || (distance == best.DistanceM && string.CompareOrdinal(candidate["id"], best.Id) < 0)))
                {
                    best = new RoadRef(layer.Name, candidate["id"], candidate["name"], candidate["owner"], distance);
                }
            }
        }

        return best;
    }

    /// <summary>
    /// The nearest commune other than the one the point is in, when within the configured distance: the distance to
    /// it is the distance to the boundary between the two. The coast is not a boundary between authorities.
    /// </summary>
    private (double DistanceM, LayerFeature? Neighbour) NearestOtherCommune(Point at, LayerFeature commune)
    {
        var search = at.EnvelopeInternal.Copy();
        search.ExpandBy(BoundaryDistanceM);
        var best = (DistanceM: double.PositiveInfinity, Neighbour: (LayerFeature?)null);
        foreach (var candidate in Communes.Candidates(search))
        {
            if (candidate["insee"] == commune["insee"])
            {
                continue;
            }

            var distance = candidate.Geometry.Distance(at);
            if (distance <= BoundaryDistanceM && distance < best.DistanceM)
            {
                best = (distance, candidate);
            }
        }

        return best;
    }
}
