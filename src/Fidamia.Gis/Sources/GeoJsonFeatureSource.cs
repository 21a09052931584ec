using System.Text.Json;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace Fidamia.Gis.Sources;

/// <summary>A GeoJSON FeatureCollection file. A top-level <c>"fidamia:demo": true</c> marks a demo layer.</summary>
public sealed class GeoJsonFeatureSource(string path) : IFeatureSource
{
    /// <summary>The top-level member (<c>"fidamia:demo": true</c>) that marks a layer as a demo layer.</summary>
    public const string DemoMarker = "fidamia:demo";

    private static readonly JsonSerializerOptions JsonOptions = CreateJsonOptions();

    public string Description { get; } = Path.GetFullPath(path);

    public IReadOnlyList<SourceFeature> ReadAll(CancellationToken cancellationToken) => Read(cancellationToken).Features;

    /// <summary>The features, and whether the file carries the demo marker.</summary>
    /// <exception cref="InvalidDataException">Not a GeoJSON FeatureCollection; the message names the file.</exception>
    public (IReadOnlyList<SourceFeature> Features, bool IsDemo) Read(CancellationToken cancellationToken)
    {
        var path = Description;
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type)
                || type.ValueKind != JsonValueKind.String
                || type.GetString() != "FeatureCollection")
            {
                throw new InvalidDataException($"GIS layer {path} is not a GeoJSON FeatureCollection (no top-level \"type\": \"FeatureCollection\")");
            }

            if (!root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"GIS layer {path} has no \"features\" array");
            }

            var isDemo = root.TryGetProperty(DemoMarker, out var marker) && marker.ValueKind == JsonValueKind.True;
            var collection = root.Deserialize<FeatureCollection>(JsonOptions)
                ?? throw new InvalidDataException($"GIS layer {path} is not a GeoJSON FeatureCollection");
            var result = new List<SourceFeature>(collection.Count);
            foreach (var feature in collection)
            {
                cancellationToken.ThrowIfCancellationRequested();
                result.Add(new SourceFeature(feature.Geometry!, FeatureSources.Attributes(feature.Attributes)));
            }

            return (result, isDemo);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"GIS layer {path} is not valid GeoJSON: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or NotSupportedException)
        {
            // The GeoJSON converters report some malformed content (bad coordinates, unknown types) this way.
            throw new InvalidDataException($"GIS layer {path} is not valid GeoJSON: {ex.Message}", ex);
        }
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions
        {
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
        };
        options.Converters.Add(new GeoJsonConverterFactory(new GeometryFactory()));
        return options;
    }
}
