using System.Globalization;
using Microsoft.Extensions.Options;

namespace Fidamia.Gis;

/// <summary>The GIS layers the service locates reports in (section <c>Gis</c>).</summary>
public sealed class GisOptions
{
    public const string SectionName = "Gis";

    /// <summary>The configuration key of the communes layer's path, as named in start-up errors.</summary>
    public const string CommunesPathKey = SectionName + ":Communes:Path";

    /// <summary>The configuration key of the layer list.</summary>
    public const string LayersKey = SectionName + ":Layers";

    /// <summary>
    /// The layers to load. Empty: the embedded demo set (communes, zones, roads), with the demo communes replaced by
    /// <see cref="Communes"/> when a path is given. Given: exactly these, plus a commune layer named <c>communes</c>
    /// from <see cref="Communes"/> when a path is given and no layer has the commune role.
    /// </summary>
    public List<LayerOptions> Layers { get; set; } = [];

    /// <summary>Shorthand for a commune layer: <c>--Gis:Communes:Path=FILE</c>.</summary>
    public CommunesOptions Communes { get; set; } = new();

    /// <summary>A road is reported when its nearest segment is at most this far from the point.</summary>
    public double RoadDistanceM { get; set; } = 30;

    /// <summary>
    /// A point this close to another commune is flagged (the "confirm the place" case): simplified outlines and
    /// GPS error make the commune uncertain there.
    /// </summary>
    public double BoundaryDistanceM { get; set; } = 25;

    /// <summary>The coarse demo communes shipped with the service (six territories, not for production).</summary>
    public static string DemoCommunesPath => DemoPath("demo-communes.geojson");

    /// <summary>The hand-drawn demo zones (a park, a school, a port area in Marseille).</summary>
    public static string DemoZonesPath => DemoPath("demo-zones.geojson");

    /// <summary>The hand-drawn demo roads, with different owners, around the demo zones.</summary>
    public static string DemoRoadsPath => DemoPath("demo-roads.geojson");

    /// <summary>The communes layer to load: the configured file, or the embedded demo layer when none is configured.</summary>
    public string ResolveCommunesPath() =>
        string.IsNullOrWhiteSpace(Communes?.Path) ? DemoCommunesPath : Path.GetFullPath(Communes.Path);

    /// <summary>
    /// The layers to load, after the shorthand and demo rules, with their configuration keys for messages.
    /// Does not validate: <see cref="GisOptionsValidator"/> does, at start.
    /// </summary>
    public IReadOnlyList<LayerDefinition> ResolveLayers()
    {
        var communesPath = Communes?.Path;
        var hasCommunesPath = !string.IsNullOrWhiteSpace(communesPath);
        var layers = Layers ?? [];
        var resolved = new List<LayerDefinition>();
        if (layers.Count == 0)
        {
            resolved.Add(hasCommunesPath
                ? LayerDefinition.File(CommunesPathKey, "communes", LayerRole.Commune, communesPath!)
                : LayerDefinition.File(CommunesPathKey, "communes", LayerRole.Commune, DemoCommunesPath));
            resolved.Add(LayerDefinition.File(LayersKey, "demo-zones", LayerRole.Zone, DemoZonesPath));
            resolved.Add(LayerDefinition.File(LayersKey, "demo-roads", LayerRole.Road, DemoRoadsPath));
            return resolved;
        }

        for (var i = 0; i < layers.Count; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{LayersKey}:{i}");
            var layer = layers[i] ?? new LayerOptions();
            _ = LayerRoles.TryParse(layer.Role, out var role);
            resolved.Add(new LayerDefinition(
                key,
                string.IsNullOrWhiteSpace(layer.Name) ? string.Create(CultureInfo.InvariantCulture, $"layer{i}") : layer.Name.Trim(),
                role,
                string.IsNullOrWhiteSpace(layer.Path) ? null : Path.GetFullPath(layer.Path),
                string.IsNullOrWhiteSpace(layer.Table) ? null : layer.Table,
                string.IsNullOrWhiteSpace(layer.ConnectionString) ? null : layer.ConnectionString,
                layer.Crs,
                LayerRoles.MapProperties(role, layer.Properties)));
        }

        if (hasCommunesPath && !resolved.Exists(l => l.Role == LayerRole.Commune))
        {
            resolved.Add(LayerDefinition.File(CommunesPathKey, "communes", LayerRole.Commune, communesPath!));
        }

        return resolved;
    }

    private static string DemoPath(string file) => Path.Combine(AppContext.BaseDirectory, "gis", file);

    public sealed class CommunesOptions
    {
        /// <summary>
        /// A commune layer file (GeoJSON, GeoPackage or Shapefile, WGS84) with <c>insee</c>, <c>nom</c> and
        /// <c>territoire</c>; relative to the working directory.
        /// </summary>
        public string? Path { get; set; }
    }
}

/// <summary>One configured layer (an entry of <c>Gis:Layers</c>).</summary>
public sealed class LayerOptions
{
    /// <summary>Names the layer in matches, logs and reloads; unique.</summary>
    public string? Name { get; set; }

    /// <summary>commune, arrondissement, zone, road or sector.</summary>
    public string? Role { get; set; }

    /// <summary>A file: .geojson/.json, .gpkg or .shp; relative to the working directory.</summary>
    public string? Path { get; set; }

    /// <summary>A PostGIS table (with <see cref="ConnectionString"/>) instead of a file.</summary>
    public string? Table { get; set; }

    /// <summary>The PostgreSQL (PostGIS) connection string of <see cref="Table"/>'s database.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The EPSG code of the source's coordinates: 4326 (WGS84), 2154 (Lambert-93) or 3857.</summary>
    public int Crs { get; set; } = Projections.Wgs84;

    /// <summary>
    /// The role's logical property names mapped to the source's attribute names, e.g. <c>insee: INSEE_COM</c>;
    /// unmapped properties are read under their own name.
    /// </summary>
    public Dictionary<string, string> Properties { get; set; } = [];
}

public enum LayerRole
{
    Unknown,
    Commune,
    Arrondissement,
    Zone,
    Road,
    Sector,
}

/// <summary>What each role is, and which properties its features must carry.</summary>
public static class LayerRoles
{
    public const string Names = "commune, arrondissement, zone, road or sector";

    public static bool TryParse(string? text, out LayerRole role)
    {
        role = text?.Trim().ToLowerInvariant() switch
        {
            "commune" => LayerRole.Commune,
            "arrondissement" => LayerRole.Arrondissement,
            "zone" => LayerRole.Zone,
            "road" => LayerRole.Road,
            "sector" => LayerRole.Sector,
            _ => LayerRole.Unknown,
        };
        return role != LayerRole.Unknown;
    }

    /// <summary>The logical properties a feature of the role must have.</summary>
    public static IReadOnlyList<string> RequiredProperties(LayerRole role) => role switch
    {
        LayerRole.Commune => ["insee", "nom", "territoire"],
        LayerRole.Arrondissement => ["insee", "nom"],
        LayerRole.Road => ["id", "name", "owner"],
        LayerRole.Zone or LayerRole.Sector => ["id", "type", "name"],
        _ => [],
    };

    /// <summary>Roads are lines; every other role is areas.</summary>
    public static bool IsLinear(LayerRole role) => role == LayerRole.Road;

    internal static Dictionary<string, string> MapProperties(LayerRole role, IReadOnlyDictionary<string, string>? configured)
    {
        var lookup = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (configured is not null)
        {
            foreach (var (logical, source) in configured)
            {
                if (!string.IsNullOrWhiteSpace(source))
                {
                    lookup[logical] = source.Trim();
                }
            }
        }

        var mapped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var logical in RequiredProperties(role))
        {
            mapped[logical] = lookup.TryGetValue(logical, out var source) ? source : logical;
        }

        return mapped;
    }
}

/// <summary>A layer to load, resolved from the options: full path, parsed role, the source attribute of each property.</summary>
/// <param name="Key">The configuration key it came from, for messages (<c>Gis:Layers:2</c>, <c>Gis:Communes:Path</c>).</param>
/// <param name="Properties">Logical property name → the source's attribute name.</param>
public sealed record LayerDefinition(
    string Key,
    string Name,
    LayerRole Role,
    string? Path,
    string? Table,
    string? ConnectionString,
    int Crs,
    IReadOnlyDictionary<string, string> Properties)
{
    public static LayerDefinition File(string key, string name, LayerRole role, string path, int crs = Projections.Wgs84) =>
        new(key, name, role, System.IO.Path.GetFullPath(path), null, null, crs, LayerRoles.MapProperties(role, null));

    /// <summary>The key of a member of this layer's entry, e.g. <c>Gis:Layers:2:Path</c> (the shorthand key is its own).</summary>
    public string KeyOf(string member) =>
        Key.StartsWith(GisOptions.LayersKey + ":", StringComparison.Ordinal) ? Key + ":" + member : Key;
}

/// <summary>
/// Stops start-up on a configuration that cannot load, naming the key: unknown role, no source, a missing file,
/// an unknown extension, an unsupported CRS, duplicate names, not exactly one commune layer.
/// </summary>
internal sealed class GisOptionsValidator : IValidateOptions<GisOptions>
{
    public ValidateOptionsResult Validate(string? name, GisOptions options)
    {
        var failures = new List<string>();
        if (!double.IsFinite(options.RoadDistanceM) || options.RoadDistanceM < 0)
        {
            failures.Add($"{GisOptions.SectionName}:RoadDistanceM: {options.RoadDistanceM} must be a distance in metres, 0 or more");
        }

        if (!double.IsFinite(options.BoundaryDistanceM) || options.BoundaryDistanceM < 0)
        {
            failures.Add($"{GisOptions.SectionName}:BoundaryDistanceM: {options.BoundaryDistanceM} must be a distance in metres, 0 or more");
        }

        IReadOnlyList<LayerDefinition> layers;
        try
        {
            layers = options.ResolveLayers();
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ValidateOptionsResult.Fail($"{GisOptions.SectionName}: a layer path is not a valid path: {ex.Message}");
        }

        var configured = options.Layers ?? [];
        for (var i = 0; i < configured.Count; i++)
        {
            var role = configured[i]?.Role;
            if (!LayerRoles.TryParse(role, out _))
            {
                failures.Add(string.IsNullOrWhiteSpace(role)
                    ? string.Create(CultureInfo.InvariantCulture, $"{GisOptions.LayersKey}:{i}:Role is not set (one of {LayerRoles.Names})")
                    : string.Create(CultureInfo.InvariantCulture, $"{GisOptions.LayersKey}:{i}:Role: '{role}' is not {LayerRoles.Names}"));
            }

            if (string.IsNullOrWhiteSpace(configured[i]?.Name))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{GisOptions.LayersKey}:{i}:Name is not set"));
            }
        }

        foreach (var layer in layers)
        {
            ValidateSource(layer, failures);
            if (!Projections.IsSupported(layer.Crs))
            {
                failures.Add($"{layer.KeyOf("Crs")}: layer '{layer.Name}' declares EPSG:{layer.Crs}, which is not supported (supported: {string.Join(", ", Projections.Supported)})");
            }
        }

        foreach (var duplicate in layers.GroupBy(l => l.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            failures.Add($"{GisOptions.LayersKey}: the layer name '{duplicate.Key}' is used {duplicate.Count()} times ({string.Join(", ", duplicate.Select(l => l.Key))})");
        }

        var communes = layers.Count(l => l.Role == LayerRole.Commune);
        if (communes != 1)
        {
            failures.Add(communes == 0
                ? $"{GisOptions.LayersKey}: no layer has role commune (add one, or give --{GisOptions.CommunesPathKey}=FILE)"
                : $"{GisOptions.LayersKey}: {communes} layers have role commune; exactly one is required");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateSource(LayerDefinition layer, List<string> failures)
    {
        if (layer.ConnectionString is not null || (layer.Table is not null && layer.Path is null))
        {
            if (layer.Path is not null)
            {
                failures.Add($"{layer.Key}: layer '{layer.Name}' has both a Path and a ConnectionString: give one source");
            }
            else if (layer.Table is null || layer.ConnectionString is null)
            {
                failures.Add($"{layer.KeyOf(layer.Table is null ? "Table" : "ConnectionString")} is not set: a PostGIS layer needs both Table and ConnectionString");
            }

            return;
        }

        if (layer.Path is null)
        {
            failures.Add($"{layer.KeyOf("Path")} is not set: layer '{layer.Name}' needs a Path (or a Table with a ConnectionString)");
            return;
        }

        if (layer.Table is not null && !Path.GetExtension(layer.Path).Equals(".gpkg", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{layer.KeyOf("Table")}: with a Path, Table names a GeoPackage's feature table, and '{layer.Path}' is not a .gpkg");
        }

        if (!File.Exists(layer.Path))
        {
            var demo = layer.Path == GisOptions.DemoCommunesPath || layer.Path == GisOptions.DemoZonesPath || layer.Path == GisOptions.DemoRoadsPath;
            failures.Add(demo
                ? $"{layer.Key}: the embedded demo layer {layer.Path} is missing (rebuild Fidamia.Gis, or give --{GisOptions.CommunesPathKey}=FILE)"
                : $"{layer.KeyOf("Path")}: no file at '{layer.Path}'");
            return;
        }

        if (!Sources.FeatureSources.IsSupportedFile(layer.Path))
        {
            failures.Add($"{layer.KeyOf("Path")}: '{layer.Path}' is not a supported layer file ({Sources.FeatureSources.SupportedExtensions})");
        }
    }
}
