using Fidamia.Gis;
using Microsoft.Extensions.Configuration;
using static Fidamia.UnitTests.Gis.GisTestLayers;

namespace Fidamia.UnitTests.Gis;

/// <summary>How the options resolve into layers, and what stops start-up.</summary>
public sealed class GisOptionsTests : IDisposable
{
    private readonly GisTestLayers _layers = new();

    public void Dispose() => _layers.Dispose();

    [Fact]
    public void ResolveLayers_NothingConfigured_IsTheDemoSet()
    {
        var layers = new GisOptions().ResolveLayers();

        Assert.Equal(["communes", "demo-zones", "demo-roads"], layers.Select(l => l.Name));
        Assert.Equal([LayerRole.Commune, LayerRole.Zone, LayerRole.Road], layers.Select(l => l.Role));
        Assert.Equal(GisOptions.DemoCommunesPath, layers[0].Path);
        Assert.Equal(["insee", "nom", "territoire"], layers[0].Properties.Keys);
    }

    [Fact]
    public void ResolveLayers_OnlyCommunesPath_ReplacesTheDemoCommunes()
    {
        var layers = new GisOptions { Communes = { Path = "communes.geojson" } }.ResolveLayers();

        Assert.Equal(Path.GetFullPath("communes.geojson"), layers[0].Path);
        Assert.Equal(GisOptions.CommunesPathKey, layers[0].Key);
        Assert.Equal(3, layers.Count);
    }

    [Fact]
    public void ResolveLayers_CommandLine_AddsTheLayerWithItsPropertiesMapped()
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(
        [
            "--Gis:Layers:0:Name=arr", "--Gis:Layers:0:Role=arrondissement", "--Gis:Layers:0:Path=arr.shp", "--Gis:Layers:0:Crs=2154",
            "--Gis:Layers:0:Properties:insee=INSEE_ARM", "--Gis:Communes:Path=communes.gpkg",
        ]).Build();
        var options = configuration.GetSection(GisOptions.SectionName).Get<GisOptions>()!;

        var layers = options.ResolveLayers();

        Assert.Equal(["arr", "communes"], layers.Select(l => l.Name));
        Assert.Equal(LayerRole.Arrondissement, layers[0].Role);
        Assert.Equal(2154, layers[0].Crs);
        Assert.Equal("INSEE_ARM", layers[0].Properties["insee"]);
        Assert.Equal("nom", layers[0].Properties["nom"]);
        Assert.Equal("Gis:Layers:0:Path", layers[0].KeyOf("Path"));
        Assert.Equal(Path.GetFullPath("communes.gpkg"), layers[1].Path);
    }

    [Fact]
    public void Validate_UnknownRole_NamesTheKeyAndTheRoles()
    {
        var zone = Zone();
        var options = Options(Communes(), zone, new LayerOptions { Name = "z2", Role = "zonee", Path = zone.Path });

        var failure = Assert.Single(Validate(options));

        Assert.Equal("Gis:Layers:2:Role: 'zonee' is not commune, arrondissement, zone, road or sector", failure);
    }

    [Fact]
    public void Validate_MissingFile_NamesTheKeyAndThePath()
    {
        var missing = Path.Combine(_layers.Root, "nowhere.geojson");
        var options = Options(Communes(), new LayerOptions { Name = "roads", Role = "road", Path = missing });

        var failure = Assert.Single(Validate(options));

        Assert.Contains("Gis:Layers:1:Path", failure, StringComparison.Ordinal);
        Assert.Contains(missing, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnsupportedCrs_NamesTheLayerAndTheCode()
    {
        var zone = Zone();
        zone.Crs = 27572;
        var failure = Assert.Single(Validate(Options(Communes(), zone)));

        Assert.Contains("Gis:Layers:1:Crs", failure, StringComparison.Ordinal);
        Assert.Contains("'zones'", failure, StringComparison.Ordinal);
        Assert.Contains("EPSG:27572", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownExtension_NamesTheKey()
    {
        var kml = _layers.Write("zones.kml", "<kml/>");
        var failure = Assert.Single(Validate(Options(Communes(), new LayerOptions { Name = "zones", Role = "zone", Path = kml })));

        Assert.Contains("Gis:Layers:1:Path", failure, StringComparison.Ordinal);
        Assert.Contains(".gpkg", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoCommuneLayer_SaysSo()
    {
        var failure = Assert.Single(Validate(Options(Zone())));

        Assert.Contains("no layer has role commune", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoCommuneLayers_SaysExactlyOne()
    {
        var second = Communes();
        second.Name = "communes-bis";

        var failure = Assert.Single(Validate(Options(Communes(), second)));

        Assert.Contains("exactly one is required", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicateNames_NamesBothKeys()
    {
        var zone = Zone();
        var failure = Assert.Single(Validate(Options(Communes(), zone, Zone())));

        Assert.Contains("'zones' is used 2 times (Gis:Layers:1, Gis:Layers:2)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PostGisWithoutConnectionString_NamesTheKey()
    {
        var failure = Assert.Single(Validate(Options(Communes(), new LayerOptions { Name = "pg", Role = "zone", Table = "zones" })));

        Assert.Equal("Gis:Layers:1:ConnectionString is not set: a PostGIS layer needs both Table and ConnectionString", failure);
    }

    [Fact]
    public void Validate_GoodLayers_Succeeds()
    {
        Assert.Empty(Validate(Options(Communes(), Zone())));
        Assert.Empty(Validate(new GisOptions()));
    }

    private static GisOptions Options(params LayerOptions[] layers) => new() { Layers = [.. layers] };

    private static IEnumerable<string> Validate(GisOptions options)
    {
        var result = new GisOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures! : [];
    }

    private LayerOptions Communes() => new()
    {
        Name = "communes",
        Role = "commune",
        Path = _layers.WriteCollection("communes.geojson", [Feature("13055", "Marseille", "Marseille Provence", Rectangle(5.3, 43.2, 5.5, 43.4))]),
    };

    private LayerOptions Zone() => new()
    {
        Name = "zones",
        Role = "zone",
        Path = _layers.WriteCollection("zones.geojson", [FeatureWith(Rectangle(5.39, 43.29, 5.41, 43.31), ("id", "z1"), ("type", "park"), ("name", "Parc"))]),
    };
}
