using Fidamia.Core.Geo;
using Fidamia.Gis;

namespace Fidamia.UnitTests.Gis;

/// <summary>The coarse demo communes layer shipped in the build output (gis/demo-communes.geojson).</summary>
public sealed class CommuneLayerDemoTests
{
    private static readonly Lazy<LayerSet> Demo = new(() => GisTestLayers.Communes(GisOptions.DemoCommunesPath));

    [Fact]
    public void Load_DemoLayer_IsMarkedDemoWithSixTerritories()
    {
        var layer = Demo.Value.Communes;

        Assert.True(layer.IsDemo);
        Assert.Equal(6, layer.Count);
        Assert.Equal(Path.GetFullPath(GisOptions.DemoCommunesPath), layer.Source);
    }

    [Theory]
    [InlineData(43.2965, 5.3698, "13055", "Marseille", "Marseille Provence")]
    [InlineData(43.5297, 5.4474, "13001", "Aix-en-Provence", "Pays d'Aix")]
    [InlineData(43.6403, 5.0972, "13103", "Salon-de-Provence", "Pays Salonais")]
    [InlineData(43.2927, 5.5708, "13005", "Aubagne", "Pays d'Aubagne et de l'Étoile")]
    [InlineData(43.5151, 4.9895, "13047", "Istres", "Istres-Ouest Provence")]
    [InlineData(43.4045, 5.0475, "13056", "Martigues", "Pays de Martigues")]
    public void Locate_CityCentre_ReturnsItsTerritory(double lat, double lon, string insee, string name, string territory)
    {
        var context = Demo.Value.Locate(new GeoPoint(lat, lon));

        Assert.NotNull(context);
        Assert.Equal(insee, context.Commune.Insee);
        Assert.Equal(name, context.Commune.Name);
        Assert.Equal(territory, context.Territory);
    }

    [Fact]
    public void Locate_CugesLesPinsExclave_ReturnsPaysDAubagne()
    {
        // Cuges-les-Pins is a second polygon of the Aubagne territory's MultiPolygon.
        var context = Demo.Value.Locate(new GeoPoint(43.275, 5.72));

        Assert.NotNull(context);
        Assert.Equal("Pays d'Aubagne et de l'Étoile", context.Territory);
    }

    [Theory]
    [InlineData(43.20, 5.20)] // the sea off Marseille
    [InlineData(43.6766, 4.6278)] // Arles, outside the Métropole
    [InlineData(43.46, 5.13)] // the Étang de Berre, a hole in the layer
    [InlineData(48.8566, 2.3522)] // Paris
    public void Locate_OutsideTheMetropole_ReturnsNull(double lat, double lon)
    {
        Assert.Null(Demo.Value.Locate(new GeoPoint(lat, lon)));
    }

    [Theory]
    [InlineData(double.NaN, 5.37)]
    [InlineData(43.3, double.PositiveInfinity)]
    [InlineData(95.0, 5.37)]
    public void Locate_InvalidPoint_ReturnsNull(double lat, double lon)
    {
        Assert.Null(Demo.Value.Locate(new GeoPoint(lat, lon)));
    }

    [Fact]
    public void DemoLayer_EveryFeature_IsMarkedDemoAndNamesATerritory()
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(GisOptions.DemoCommunesPath));
        var root = document.RootElement;
        Assert.Equal("Fidamia demo communes (coarse, NOT for production)", root.GetProperty("name").GetString());
        Assert.Contains("--Gis:Communes:Path=", root.GetProperty("description").GetString(), StringComparison.Ordinal);

        var territories = new List<string>();
        foreach (var feature in root.GetProperty("features").EnumerateArray())
        {
            var properties = feature.GetProperty("properties");
            Assert.True(properties.GetProperty("demo").GetBoolean());
            territories.Add(properties.GetProperty("territoire").GetString()!);
        }

        Assert.Equal(
            ["Istres-Ouest Provence", "Marseille Provence", "Pays Salonais", "Pays d'Aix", "Pays d'Aubagne et de l'Étoile", "Pays de Martigues"],
            territories.Order(StringComparer.Ordinal));
    }
}
