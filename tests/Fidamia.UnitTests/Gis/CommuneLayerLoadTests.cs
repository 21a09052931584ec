using Fidamia.Core.Geo;
using Fidamia.Gis;
using static Fidamia.UnitTests.Gis.GisTestLayers;

namespace Fidamia.UnitTests.Gis;

/// <summary>Loading hand-written commune layers: what is refused, and how ties on shared boundaries are settled.</summary>
public sealed class CommuneLayerLoadTests : IDisposable
{
    private readonly GisTestLayers _layers = new();

    public void Dispose() => _layers.Dispose();

    [Fact]
    public void Load_NotJson_ThrowsNamingTheFile()
    {
        var path = _layers.Write("not-json.geojson", "this is not { JSON");

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not valid GeoJSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_JsonButNotAFeatureCollection_ThrowsNamingTheFile()
    {
        var path = _layers.Write("geometry.geojson", Rectangle(0, 0, 1, 1));

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("FeatureCollection", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FeatureWithoutInsee_ThrowsNamingFileFeatureAndProperty()
    {
        var path = _layers.WriteCollection("no-insee.geojson",
        [
            Feature("13001", "Aix-en-Provence", "Pays d'Aix", Rectangle(0, 0, 1, 1)),
            Feature(null, "Anonyme", "Pays d'Aix", Rectangle(1, 0, 2, 1)),
        ]);

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("features[1]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"insee\"", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nom")]
    [InlineData("territoire")]
    public void Load_FeatureMissingNameOrTerritory_ThrowsNamingTheProperty(string missing)
    {
        var feature = Feature("13001", missing == "nom" ? null : "Aix-en-Provence", missing == "territoire" ? null : "Pays d'Aix", Rectangle(0, 0, 1, 1));
        var path = _layers.WriteCollection("missing.geojson", [feature]);

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains("features[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{missing}\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LineStringFeature_ThrowsNamingFeatureAndType()
    {
        var path = _layers.WriteCollection("line.geojson",
        [
            Feature("13001", "Aix-en-Provence", "Pays d'Aix", "{\"type\":\"LineString\",\"coordinates\":[[5.4,43.5],[5.5,43.6]]}"),
        ]);

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("features[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LineString", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FeatureWithoutGeometry_Throws()
    {
        var path = _layers.WriteCollection("null-geometry.geojson", [Feature("13001", "Aix-en-Provence", "Pays d'Aix", "null")]);

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains("features[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no geometry", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SelfIntersectingPolygon_ThrowsNamingTheFeature()
    {
        var bowTie = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}";
        var path = _layers.WriteCollection("bow-tie.geojson", [Feature("13001", "Aix-en-Provence", "Pays d'Aix", bowTie)]);

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains("features[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid geometry", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ProjectedCoordinates_ThrowsSayingWgs84()
    {
        // Lambert-93 metres, not degrees.
        var path = _layers.WriteCollection("lambert.geojson", [Feature("13001", "Aix-en-Provence", "Pays d'Aix", Rectangle(890000, 6270000, 900000, 6280000))]);

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains("WGS84", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoFeatures_Throws()
    {
        var path = _layers.WriteCollection("empty.geojson", []);

        var ex = Assert.Throws<InvalidDataException>(() => LoadCommunes(path));

        Assert.Contains("no features", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        var path = Path.Combine(Path.GetTempPath(), "fidamia-no-such-layer-" + Guid.NewGuid().ToString("N") + ".geojson");

        var ex = Assert.Throws<FileNotFoundException>(() => LoadCommunes(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NumericInsee_IsReadAsText()
    {
        var feature = "{\"type\":\"Feature\",\"properties\":{\"insee\":13001,\"nom\":\"Aix-en-Provence\",\"territoire\":\"Pays d'Aix\"},\"geometry\":" + Rectangle(0, 0, 1, 1) + "}";
        var layer = Communes(_layers.WriteCollection("numeric.geojson", [feature]));

        Assert.Equal("13001", layer.Locate(new GeoPoint(0.5, 0.5))?.Commune.Insee);
    }

    [Theory]
    [InlineData("\"fidamia:demo\":true,", true)]
    [InlineData("\"fidamia:demo\":false,", false)]
    [InlineData("\"name\":\"communes\",", false)]
    public void Load_DemoMarker_SetsIsDemo(string members, bool expected)
    {
        var layer = LoadCommunes(_layers.WriteCollection("marker.geojson", [Feature("13001", "Aix-en-Provence", "Pays d'Aix", Rectangle(0, 0, 1, 1))], members));

        Assert.Equal(expected, layer.IsDemo);
        Assert.Equal(1, layer.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Locate_OnSharedBoundary_PicksLowestInseeWhateverTheOrder(bool reversed)
    {
        // Near Marseille so the squares are small in Lambert-93; edges along meridians stay straight there.
        string[] features =
        [
            Feature("13002", "Ouest", "T", Rectangle(5.0, 43.0, 5.1, 43.1)),
            Feature("13001", "Est", "T", Rectangle(5.1, 43.0, 5.2, 43.1)),
        ];
        var layer = Communes(_layers.WriteCollection("shared-edge.geojson", reversed ? features.Reverse() : features));

        Assert.Equal("13001", layer.Locate(new GeoPoint(43.05, 5.1))?.Commune.Insee); // on the shared edge
        Assert.Equal("13001", layer.Locate(new GeoPoint(43.1, 5.1))?.Commune.Insee); // a shared corner
        Assert.Equal("13002", layer.Locate(new GeoPoint(43.05, 5.05))?.Commune.Insee); // inside the west square
        Assert.Equal("13002", layer.Locate(new GeoPoint(43.0, 5.0))?.Commune.Insee); // its outer corner: covered
        Assert.Equal("13001", layer.Locate(new GeoPoint(43.05, 5.15))?.Commune.Insee);
        Assert.Null(layer.Locate(new GeoPoint(43.05, 5.2001)));
    }

    [Fact]
    public void Locate_HoleInPolygon_ReturnsNull()
    {
        var withHole = "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[3,0],[3,3],[0,3],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}";
        var layer = Communes(_layers.WriteCollection("hole.geojson", [Feature("13001", "Anneau", "T", withHole)]));

        Assert.Null(layer.Locate(new GeoPoint(1.5, 1.5)));
        Assert.Equal("13001", layer.Locate(new GeoPoint(0.5, 0.5))?.Commune.Insee);
    }

    [Fact]
    public void Locate_ManyThreadsOnDemoLayer_GiveTheSequentialAnswers()
    {
        var layer = Communes(GisOptions.DemoCommunesPath);
        var points = GisRealLayerTests.Grid(minLat: 43.10, maxLat: 43.80, minLon: 4.70, maxLon: 5.85, steps: 60);
        var expected = points.Select(layer.Locate).ToArray();
        Assert.Equal(6, expected.Where(c => c is not null).Select(c => c!.Territory).Distinct().Count());

        var mismatches = GisRealLayerTests.RunConcurrently(layer, points, expected, threads: 8);

        Assert.Equal(0, mismatches);
    }
}
