using NetTopologySuite.IO.Esri;

namespace Fidamia.Gis.Sources;

/// <summary>An Esri Shapefile (.shp with its .shx and .dbf beside it).</summary>
public sealed class ShapefileFeatureSource(string path) : IFeatureSource
{
    /// <summary>The files that make one Shapefile: a change to any of them is a change of the layer.</summary>
    public static IReadOnlyList<string> SidecarExtensions { get; } = [".shp", ".shx", ".dbf", ".prj", ".cpg"];

    public string Description { get; } = Path.GetFullPath(path);

    public IReadOnlyList<SourceFeature> ReadAll(CancellationToken cancellationToken)
    {
        try
        {
            var features = Shapefile.ReadAllFeatures(Description);
            var result = new List<SourceFeature>(features.Length);
            foreach (var feature in features)
            {
                cancellationToken.ThrowIfCancellationRequested();
                result.Add(new SourceFeature(feature.Geometry, FeatureSources.Attributes(feature.Attributes)));
            }

            return result;
        }
        catch (Exception ex) when (ex is ShapefileException or IOException or ArgumentException or NotSupportedException or InvalidOperationException
            or IndexOutOfRangeException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"GIS layer {Description} is not a readable Shapefile: {ex.Message}", ex);
        }
    }
}
