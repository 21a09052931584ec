using System.Globalization;
using System.Text;
using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using Fidamia.Gis;

namespace Fidamia.UnitTests.Gis;

/// <summary>Small hand-written GeoJSON layers in a temporary folder, deleted with the instance.</summary>
internal sealed class GisTestLayers : IDisposable
{
    public GisTestLayers() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "fidamia-gis-tests-" + Guid.NewGuid().ToString("N"));

    public string Write(string name, string content)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    /// <summary>A FeatureCollection of the given features (raw JSON), with optional extra top-level members.</summary>
    public string WriteCollection(string name, IEnumerable<string> features, string extraMembers = "") =>
        Write(name, CollectionJson(features, extraMembers));

    public static string CollectionJson(IEnumerable<string> features, string extraMembers = "") =>
        "{\"type\":\"FeatureCollection\"," + extraMembers + "\"features\":[" + string.Join(",", features) + "]}";

    public static string Feature(string? insee, string? nom, string? territoire, string geometry)
    {
        var properties = new List<string>();
        if (insee is not null)
        {
            properties.Add($"\"insee\":\"{insee}\"");
        }

        if (nom is not null)
        {
            properties.Add($"\"nom\":\"{nom}\"");
        }

        if (territoire is not null)
        {
            properties.Add($"\"territoire\":\"{territoire}\"");
        }

        return "{\"type\":\"Feature\",\"properties\":{" + string.Join(",", properties) + "},\"geometry\":" + geometry + "}";
    }

    /// <summary>A feature with any string properties.</summary>
    public static string FeatureWith(string geometry, params (string Name, string Value)[] properties) =>
        "{\"type\":\"Feature\",\"properties\":{" + string.Join(",", properties.Select(p => $"\"{p.Name}\":\"{p.Value}\"")) + "},\"geometry\":" + geometry + "}";

    /// <summary>An axis-aligned rectangle polygon, in degrees (lon = x, lat = y).</summary>
    public static string Rectangle(double minLon, double minLat, double maxLon, double maxLat) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"type\":\"Polygon\",\"coordinates\":[[[{minLon},{minLat}],[{maxLon},{minLat}],[{maxLon},{maxLat}],[{minLon},{maxLat}],[{minLon},{minLat}]]]}}");

    public static string Line(params (double Lon, double Lat)[] points) =>
        "{\"type\":\"LineString\",\"coordinates\":[" + string.Join(",", points.Select(p => string.Create(CultureInfo.InvariantCulture, $"[{p.Lon},{p.Lat}]"))) + "]}";

    /// <summary>A commune layer loaded from a file, as the service would.</summary>
    public static GisLayer LoadCommunes(string path, int crs = Projections.Wgs84) =>
        GisLayer.Load(LayerDefinition.File("test", "communes", LayerRole.Commune, path, crs));

    public static GisLayer Load(string name, LayerRole role, string path, int crs = Projections.Wgs84) =>
        GisLayer.Load(LayerDefinition.File("test", name, role, path, crs));

    /// <summary>A locator over one commune layer.</summary>
    public static LayerSet Communes(string path) => new([LoadCommunes(path)]);

    /// <summary>Everything a context says, as one string: contexts hold lists, which records compare by reference.</summary>
    public static string Describe(LocationContext? context) =>
        context is null
            ? "null"
            : string.Join(" | ", context.Matches) + string.Create(CultureInfo.InvariantCulture,
                $" || {context.Commune} {context.Territory} {context.Arrondissement} {context.Road} {context.NearBoundaryM} [{string.Join(";", context.Zones)}]");

    /// <summary>A WGS84 point <paramref name="eastM"/>, <paramref name="northM"/> metres from another, offset in Lambert-93.</summary>
    public static GeoPoint Offset(GeoPoint from, double eastM, double northM)
    {
        var (x, y) = Projections.ToLambert93(from.Lon, from.Lat);
        return FromLambert93(x + eastM, y + northM);
    }

    public static GeoPoint FromLambert93(double x, double y)
    {
        var transform = Projections.Create(Projections.Lambert93, Projections.Wgs84);
        transform.Transform(ref x, ref y);
        return new GeoPoint(y, x);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }
}
