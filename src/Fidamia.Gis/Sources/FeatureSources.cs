using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Features;

namespace Fidamia.Gis.Sources;

/// <summary>Picks a layer's source: a PostGIS table when a connection string is given, else by file extension.</summary>
public static class FeatureSources
{
    public const string SupportedExtensions = ".geojson, .json, .gpkg or .shp";

    public static bool IsSupportedFile(string path) => Path.GetExtension(path).ToLowerInvariant() is ".geojson" or ".json" or ".gpkg" or ".shp";

    /// <exception cref="NotSupportedException">The file's extension is not a supported format; the message names the key.</exception>
    public static IFeatureSource Create(LayerDefinition layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.ConnectionString is not null)
        {
            return new PostGisFeatureSource(layer.ConnectionString, layer.Table ?? throw new ArgumentException($"{layer.KeyOf("Table")} is not set", nameof(layer)));
        }

        var path = layer.Path ?? throw new ArgumentException($"{layer.KeyOf("Path")} is not set", nameof(layer));
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".geojson" or ".json" => new GeoJsonFeatureSource(path),
            ".gpkg" => new GeoPackageFeatureSource(path, layer.Table),
            ".shp" => new ShapefileFeatureSource(path),
            _ => throw new NotSupportedException($"{layer.KeyOf("Path")}: '{path}' is not a supported layer file ({SupportedExtensions})"),
        };
    }

    /// <summary>The files whose change means the layer changed (a Shapefile is several files).</summary>
    public static IReadOnlyList<string> FilesOf(string path) =>
        Path.GetExtension(path).Equals(".shp", StringComparison.OrdinalIgnoreCase)
            ? [.. ShapefileFeatureSource.SidecarExtensions.Select(e => Path.ChangeExtension(path, e))]
            : [path];

    internal static IReadOnlyDictionary<string, object?> Attributes(IAttributesTable? table)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (table is not null)
        {
            foreach (var name in table.GetNames())
            {
                result[name] = table[name];
            }
        }

        return result;
    }

    /// <summary>An attribute as text: numbers (an INSEE code stored as a number) in the invariant culture.</summary>
    public static string? Text(object? value) => value switch
    {
        null => null,
        string s => s.Trim(),
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()?.Trim(),
        JsonElement { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } e => e.GetRawText(),
        JsonElement => null,
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => ((long)d).ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture).Trim(),
        _ => value.ToString()?.Trim(),
    };
}
