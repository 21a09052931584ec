using System.Globalization;
using System.Text.Json;
using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.IO.Converters;
using NetTopologySuite.Operation.Valid;

namespace Fidamia.Gis;

/// <summary>
/// The communes of the served territory, from a GeoJSON FeatureCollection in WGS84 whose features carry
/// <c>insee</c>, <c>nom</c> and <c>territoire</c>. Loaded and indexed once; <see cref="Locate"/> is read-only
/// and thread-safe.
/// </summary>
public sealed class CommuneLayer : ILocator
{
    /// <summary>The top-level member (<c>"fidamia:demo": true</c>) that marks a layer as the coarse demo layer.</summary>
    public const string DemoMarker = "fidamia:demo";

    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    private static readonly JsonSerializerOptions JsonOptions = CreateJsonOptions();

    private readonly STRtree<Commune> _index;

    /// <summary>Loads and indexes the layer.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a usable communes layer; the message names the file and the feature.</exception>
    public CommuneLayer(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        SourcePath = Path.GetFullPath(path);
        if (!File.Exists(SourcePath))
        {
            throw new FileNotFoundException($"GIS layer {SourcePath} does not exist", SourcePath);
        }

        var (collection, isDemo) = Read(SourcePath);
        IsDemo = isDemo;
        _index = new STRtree<Commune>();
        var count = 0;
        foreach (var feature in collection)
        {
            var commune = ToCommune(SourcePath, count, feature);
            _index.Insert(commune.Area.Geometry.EnvelopeInternal, commune);
            count++;
        }

        if (count == 0)
        {
            throw new InvalidDataException($"GIS layer {SourcePath} has no features");
        }

        // An STRtree takes no insert after its first query: build it now, while nobody else can see it.
        _index.Build();
        Count = count;
    }

    /// <summary>Number of features (communes) in the layer.</summary>
    public int Count { get; }

    /// <summary>True for the coarse demo layer (top-level <c>"fidamia:demo": true</c>): not for production.</summary>
    public bool IsDemo { get; }

    /// <summary>The full path of the file the layer was loaded from.</summary>
    public string SourcePath { get; }

    /// <summary>
    /// The commune that covers the point (its boundary included), or null outside every commune or for an invalid point.
    /// On a boundary shared by several communes the lowest INSEE code wins, whatever the file's order.
    /// </summary>
    public LocationContext? Locate(GeoPoint point)
    {
        if (!point.IsValid)
        {
            return null;
        }

        var coordinate = new Coordinate(point.Lon, point.Lat);
        var candidates = _index.Query(new Envelope(coordinate));
        if (candidates.Count == 0)
        {
            return null;
        }

        var geometry = Factory.CreatePoint(coordinate);
        Commune? best = null;
        foreach (var candidate in candidates)
        {
            if ((best is null || string.CompareOrdinal(candidate.Insee, best.Insee) < 0) && candidate.Area.Covers(geometry))
            {
                best = candidate;
            }
        }

        return best?.Context;
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions
        {
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
        };
        options.Converters.Add(new GeoJsonConverterFactory(Factory));
        return options;
    }

    private static (FeatureCollection Collection, bool IsDemo) Read(string path)
    {
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
            return (collection, isDemo);
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

    private static Commune ToCommune(string path, int index, IFeature feature)
    {
        var where = $"GIS layer {path}: features[{index}]";
        var insee = Property(feature, "insee", where);
        where += $" (insee {insee})";
        var name = Property(feature, "nom", where);
        var territory = Property(feature, "territoire", where);

        var geometry = feature.Geometry ?? throw new InvalidDataException($"{where} has no geometry");
        if (geometry is not (Polygon or MultiPolygon))
        {
            throw new InvalidDataException($"{where} is a {geometry.GeometryType}; a commune must be a Polygon or a MultiPolygon");
        }

        if (geometry.IsEmpty)
        {
            throw new InvalidDataException($"{where} has an empty geometry");
        }

        var envelope = geometry.EnvelopeInternal;
        if (envelope.MinX < -180 || envelope.MaxX > 180 || envelope.MinY < -90 || envelope.MaxY > 90)
        {
            throw new InvalidDataException($"{where} has coordinates outside WGS84 degrees (a projected layer? it must be EPSG:4326, lon/lat)");
        }

        var validity = new IsValidOp(geometry);
        if (!validity.IsValid)
        {
            throw new InvalidDataException($"{where} has an invalid geometry: {validity.ValidationError?.Message}");
        }

        var prepared = PreparedGeometryFactory.Prepare(geometry);
        return new Commune(insee, prepared, new LocationContext(new CommuneRef(insee, name), territory));
    }

    private static string Property(IFeature feature, string name, string where)
    {
        var attributes = feature.Attributes;
        var value = attributes is not null && attributes.Exists(name) ? attributes[name] : null;
        var text = value switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(text)
            ? throw new InvalidDataException($"{where} has no \"{name}\" property (every feature needs insee, nom and territoire)")
            : text;
    }

    private sealed record Commune(string Insee, IPreparedGeometry Area, LocationContext Context);
}
