using System.Diagnostics;
using Fidamia.Gis.Sources;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Operation.Valid;

namespace Fidamia.Gis;

/// <summary>One feature of a loaded layer, in Lambert-93, with its role's properties as text.</summary>
/// <param name="Area">The prepared polygon of an area role; null for a road.</param>
/// <param name="Index">Its position in the source, for messages.</param>
public sealed record LayerFeature(Geometry Geometry, IPreparedGeometry? Area, int Index, IReadOnlyDictionary<string, string> Properties)
{
    public string this[string property] => Properties[property];
}

/// <summary>
/// A layer loaded whole, reprojected once into Lambert-93 and indexed in an STRtree built before anyone can query
/// it. Immutable: queries are read-only and safe from any number of threads; a reload builds a new instance.
/// </summary>
public sealed class GisLayer
{
    private readonly STRtree<LayerFeature> _index;

    private GisLayer(LayerDefinition definition, string source, bool isDemo, IReadOnlyList<LayerFeature> features, TimeSpan elapsed)
    {
        Definition = definition;
        Source = source;
        IsDemo = isDemo;
        Features = features;
        LoadTime = elapsed;
        _index = new STRtree<LayerFeature>();
        foreach (var feature in features)
        {
            _index.Insert(feature.Geometry.EnvelopeInternal, feature);
        }

        // An STRtree takes no insert after its first query: build it now, while nobody else can see it.
        _index.Build();
    }

    public LayerDefinition Definition { get; }

    public string Name => Definition.Name;

    public LayerRole Role => Definition.Role;

    /// <summary>Where it was read from: the file path, or the source's description (never a password).</summary>
    public string Source { get; }

    /// <summary>True for a shipped demo layer (GeoJSON top-level <c>"fidamia:demo": true</c>): not for production.</summary>
    public bool IsDemo { get; }

    public int Count => Features.Count;

    public IReadOnlyList<LayerFeature> Features { get; }

    public TimeSpan LoadTime { get; }

    /// <summary>Reads, checks, reprojects and indexes a layer.</summary>
    /// <exception cref="FileNotFoundException">A file layer's file does not exist.</exception>
    /// <exception cref="InvalidDataException">The source is not a usable layer of its role; the message names the layer, the source and the feature.</exception>
    /// <exception cref="NotSupportedException">Unknown file extension or CRS; the message names the key.</exception>
    public static GisLayer Load(LayerDefinition definition, CancellationToken cancellationToken = default) =>
        Load(definition, FeatureSources.Create(definition), cancellationToken);

    /// <summary>Loads from a given source (tests, or a source built elsewhere).</summary>
    public static GisLayer Load(LayerDefinition definition, IFeatureSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(source);
        if (!Projections.IsSupported(definition.Crs))
        {
            throw new NotSupportedException($"{definition.KeyOf("Crs")}: layer '{definition.Name}' declares EPSG:{definition.Crs}, which is not supported (supported: {string.Join(", ", Projections.Supported)})");
        }

        if (definition.Path is not null && !File.Exists(definition.Path))
        {
            throw new FileNotFoundException($"GIS layer '{definition.Name}': {definition.Path} does not exist", definition.Path);
        }

        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<SourceFeature> read;
        var isDemo = false;
        if (source is GeoJsonFeatureSource geoJson)
        {
            (read, isDemo) = geoJson.Read(cancellationToken);
        }
        else
        {
            read = source.ReadAll(cancellationToken);
        }

        var where = $"GIS layer '{definition.Name}' ({source.Description})";
        if (read.Count == 0)
        {
            throw new InvalidDataException($"{where} has no features");
        }

        var features = new List<LayerFeature>(read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            features.Add(ToFeature(definition, where, i, read[i]));
        }

        return new GisLayer(definition, source.Description, isDemo, features, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The features whose envelope intersects <paramref name="envelope"/> (Lambert-93): candidates, not answers.</summary>
    public IList<LayerFeature> Candidates(Envelope envelope) => _index.Query(envelope);

    private static LayerFeature ToFeature(LayerDefinition definition, string where, int index, SourceFeature feature)
    {
        var at = $"{where}: features[{index}]";
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (logical, attribute) in definition.Properties)
        {
            var value = feature.Attributes is not null && feature.Attributes.TryGetValue(attribute, out var raw) ? FeatureSources.Text(raw) : null;
            if (string.IsNullOrWhiteSpace(value))
            {
                var mapped = logical == attribute ? $"\"{logical}\"" : $"\"{attribute}\" (for {logical})";
                throw new InvalidDataException($"{at} has no {mapped} property (every {RoleName(definition.Role)} feature needs {string.Join(", ", definition.Properties.Values)})");
            }

            properties[logical] = value;
            if (properties.Count == 1)
            {
                // The first property is the feature's id (insee or id): name it in every later message.
                at += $" ({logical} {value})";
            }
        }

        var geometry = feature.Geometry ?? throw new InvalidDataException($"{at} has no geometry");
        var linear = LayerRoles.IsLinear(definition.Role);
        if (linear ? geometry is not (LineString or MultiLineString) : geometry is not (Polygon or MultiPolygon))
        {
            throw new InvalidDataException(linear
                ? $"{at} is a {geometry.GeometryType}; a road must be a LineString or a MultiLineString"
                : $"{at} is a {geometry.GeometryType}; a {RoleName(definition.Role)} must be a Polygon or a MultiPolygon");
        }

        if (geometry.IsEmpty)
        {
            throw new InvalidDataException($"{at} has an empty geometry");
        }

        var envelope = geometry.EnvelopeInternal;
        if (Projections.IsGeographic(definition.Crs))
        {
            if (envelope.MinX < -180 || envelope.MaxX > 180 || envelope.MinY < -90 || envelope.MaxY > 90)
            {
                throw new InvalidDataException($"{at} has coordinates outside WGS84 degrees (a projected layer? declare its Crs, e.g. 2154; EPSG:4326 is lon/lat)");
            }
        }
        else if (envelope.MinX >= -180 && envelope.MaxX <= 180 && envelope.MinY >= -90 && envelope.MaxY <= 90)
        {
            throw new InvalidDataException($"{at} has coordinates that look like degrees, but the layer declares EPSG:{definition.Crs} (metres): declare Crs 4326");
        }

        // Invalid geometries fail the load rather than being repaired: a Buffer(0) "fix" can silently drop a
        // bow-tie's half, and a commune that loses territory misroutes reports without a word.
        var validity = new IsValidOp(geometry);
        if (!validity.IsValid)
        {
            throw new InvalidDataException($"{at} has an invalid geometry: {validity.ValidationError?.Message}");
        }

        var metric = Projections.Reproject(geometry, definition.Crs, Projections.Lambert93);
        var metricEnvelope = metric.EnvelopeInternal;
        if (!double.IsFinite(metricEnvelope.MinX) || !double.IsFinite(metricEnvelope.MaxX) || !double.IsFinite(metricEnvelope.MinY) || !double.IsFinite(metricEnvelope.MaxY))
        {
            throw new InvalidDataException($"{at} cannot be projected to Lambert-93 (coordinates out of range for EPSG:{definition.Crs})");
        }

        var area = linear ? null : PreparedGeometryFactory.Prepare(metric);
        return new LayerFeature(metric, area, index, properties);
    }

    private static string RoleName(LayerRole role) => role.ToString().ToLowerInvariant();
}
