using Microsoft.Extensions.Options;

namespace Fidamia.Gis;

/// <summary>The GIS layers the service locates reports in.</summary>
public sealed class GisOptions
{
    public const string SectionName = "Gis";

    /// <summary>The configuration key of the communes layer's path, as named in start-up errors.</summary>
    public const string CommunesPathKey = SectionName + ":Communes:Path";

    public CommunesOptions Communes { get; set; } = new();

    /// <summary>The coarse demo layer shipped with the service (six territories, not for production).</summary>
    public static string DemoCommunesPath => Path.Combine(AppContext.BaseDirectory, "gis", "demo-communes.geojson");

    /// <summary>The communes layer to load: the configured file, or the embedded demo layer when none is configured.</summary>
    public string ResolveCommunesPath() =>
        string.IsNullOrWhiteSpace(Communes?.Path) ? DemoCommunesPath : Path.GetFullPath(Communes.Path);

    public sealed class CommunesOptions
    {
        /// <summary>
        /// A GeoJSON FeatureCollection (WGS84) of communes with properties <c>insee</c>, <c>nom</c> and <c>territoire</c>;
        /// relative to the working directory. Empty for the embedded coarse demo layer.
        /// </summary>
        public string? Path { get; set; }
    }
}

/// <summary>A configured layer that does not exist stops start-up, naming the key and the path.</summary>
internal sealed class GisOptionsValidator : IValidateOptions<GisOptions>
{
    public ValidateOptionsResult Validate(string? name, GisOptions options)
    {
        var configured = options.Communes?.Path;
        if (string.IsNullOrWhiteSpace(configured))
        {
            var demo = GisOptions.DemoCommunesPath;
            return File.Exists(demo)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{GisOptions.CommunesPathKey} is not set and the embedded demo layer {demo} is missing (rebuild Fidamia.Gis, or give --{GisOptions.CommunesPathKey}=FILE)");
        }

        string full;
        try
        {
            full = Path.GetFullPath(configured);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ValidateOptionsResult.Fail($"{GisOptions.CommunesPathKey}: '{configured}' is not a valid path: {ex.Message}");
        }

        return File.Exists(full)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{GisOptions.CommunesPathKey}: no file at '{configured}' (resolved to {full})");
    }
}
