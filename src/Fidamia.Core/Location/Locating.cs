using Fidamia.Core.Geo;

namespace Fidamia.Core.Location;

public sealed record CommuneRef(string Insee, string Name);

/// <summary>A zone feature the point lies in: a park, a school, a port area...</summary>
/// <param name="Layer">The configured layer's name.</param>
/// <param name="Id">The feature's id in its layer.</param>
/// <param name="Type">What kind of zone (park, school, port...): what context priors and rules test.</param>
public sealed record ZoneRef(string Layer, string Id, string Type, string Name);

/// <summary>The nearest road segment within the configured distance.</summary>
/// <param name="Owner">Who maintains it: metropole, commune, departement, etat, prive...</param>
public sealed record RoadRef(string Layer, string Id, string Name, string Owner, double DistanceM);

/// <summary>What the GIS layers say about a point, and which features said it.</summary>
public sealed record LocationContext(CommuneRef Commune, string Territory)
{
    /// <summary>The Marseille arrondissement's INSEE code (13201-13216) when the point is in Marseille.</summary>
    public CommuneRef? Arrondissement { get; init; }

    public IReadOnlyList<ZoneRef> Zones { get; init; } = [];

    public RoadRef? Road { get; init; }

    /// <summary>Distance to the nearest commune boundary when it is within the configured distance (the "confirm the place" case).</summary>
    public double? NearBoundaryM { get; init; }

    /// <summary>One line per layer feature that matched, e.g. "communes: 13055 Marseille", for explanations.</summary>
    public IReadOnlyList<string> Matches { get; init; } = [];
}

/// <summary>Looks a point up in the GIS layers. Read-only and thread-safe.</summary>
public interface ILocator
{
    /// <returns>Null when the point lies outside every commune of the served territory.</returns>
    LocationContext? Locate(GeoPoint point);
}
