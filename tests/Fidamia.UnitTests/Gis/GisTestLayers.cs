using System.Globalization;
using System.Text;

namespace Fidamia.UnitTests.Gis;

/// <summary>Small hand-written GeoJSON layers in a temporary folder, deleted with the instance.</summary>
internal sealed class GisTestLayers : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fidamia-gis-tests-" + Guid.NewGuid().ToString("N"));

    public GisTestLayers() => Directory.CreateDirectory(_directory);

    public string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    /// <summary>A FeatureCollection of the given features (raw JSON), with optional extra top-level members.</summary>
    public string WriteCollection(string name, IEnumerable<string> features, string extraMembers = "") =>
        Write(name, "{\"type\":\"FeatureCollection\"," + extraMembers + "\"features\":[" + string.Join(",", features) + "]}");

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

    /// <summary>An axis-aligned rectangle polygon, in degrees (lon = x, lat = y).</summary>
    public static string Rectangle(double minLon, double minLat, double maxLon, double maxLat) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"type\":\"Polygon\",\"coordinates\":[[[{minLon},{minLat}],[{maxLon},{minLat}],[{maxLon},{maxLat}],[{minLon},{maxLat}],[{minLon},{minLat}]]]}}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }
}
