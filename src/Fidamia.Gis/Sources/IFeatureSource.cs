using NetTopologySuite.Geometries;

namespace Fidamia.Gis.Sources;

/// <summary>One feature as its source holds it: geometry in the source's own CRS, attributes by name.</summary>
public sealed record SourceFeature(Geometry Geometry, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>
/// Where a layer's features come from: a GeoJSON, GeoPackage or Shapefile file, or a PostGIS table.
/// Reads everything at once: layers are loaded whole, reprojected and indexed, then queried read-only.
/// </summary>
public interface IFeatureSource
{
    /// <summary>For messages and logs: the file path or <c>table@host/database</c> (never a password).</summary>
    string Description { get; }

    IReadOnlyList<SourceFeature> ReadAll(CancellationToken cancellationToken);
}
