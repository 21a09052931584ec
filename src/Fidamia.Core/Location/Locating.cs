using Fidamia.Core.Geo;

namespace Fidamia.Core.Location;

public sealed record CommuneRef(string Insee, string Name);

/// <summary>What the GIS layers say about a point.</summary>
public sealed record LocationContext(CommuneRef Commune, string Territory);

/// <summary>Looks a point up in the GIS layers. Read-only and thread-safe.</summary>
public interface ILocator
{
    /// <returns>Null when the point lies outside every commune of the served territory.</returns>
    LocationContext? Locate(GeoPoint point);
}
