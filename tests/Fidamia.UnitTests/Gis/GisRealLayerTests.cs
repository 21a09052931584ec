using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using Fidamia.Gis;
using Fidamia.Tests;

namespace Fidamia.UnitTests.Gis;

/// <summary>The real communes and Marseille arrondissements, from ../shared/data (skipped when absent).</summary>
public sealed class GisRealLayerTests
{
    internal static readonly Lazy<LayerSet> Real = new(() => new LayerSet(
    [
        GisTestLayers.LoadCommunes(SharedData.Gis("amp-communes.geojson")),
        GisTestLayers.Load("arrondissements", LayerRole.Arrondissement, SharedData.Gis("marseille-arrondissements.geojson")),
    ]));

    [SharedDataFact]
    public void Load_RealLayers_Have92CommunesAnd16ArrondissementsNotDemo()
    {
        Assert.Equal(92, Real.Value.Communes.Count);
        Assert.False(Real.Value.Communes.IsDemo);
        Assert.Equal(16, Real.Value["arrondissements"]!.Count);
    }

    [SharedDataTheory]
    [InlineData(43.2985, 5.3795, "13055", "Marseille Provence", "13201")] // La Canebière
    [InlineData(43.2965, 5.3698, "13055", "Marseille Provence", "13202")] // Vieux-Port, north quay
    [InlineData(43.2855, 5.3835, "13055", "Marseille Provence", "13206")] // Castellane
    [InlineData(43.2840, 5.3712, "13055", "Marseille Provence", "13207")] // Notre-Dame de la Garde
    [InlineData(43.2590, 5.3800, "13055", "Marseille Provence", "13208")] // Parc Borély
    [InlineData(43.2930, 5.4830, "13055", "Marseille Provence", "13211")] // La Valentine
    [InlineData(43.3600, 5.3150, "13055", "Marseille Provence", "13216")] // L'Estaque
    [InlineData(43.5297, 5.4474, "13001", "Pays d'Aix", null)]
    [InlineData(43.6942, 5.5019, "84089", "Pays d'Aix", null)] // Pertuis, in Vaucluse
    [InlineData(43.3833, 5.7083, "83120", "Pays d'Aubagne et de l'Étoile", null)] // Saint-Zacharie, in the Var
    [InlineData(43.6403, 5.0972, "13103", "Pays Salonais", null)]
    [InlineData(43.2927, 5.5708, "13005", "Pays d'Aubagne et de l'Étoile", null)]
    [InlineData(43.5151, 4.9895, "13047", "Istres-Ouest Provence", null)]
    [InlineData(43.4045, 5.0475, "13056", "Pays de Martigues", null)]
    [InlineData(43.1748, 5.6047, "13028", "Marseille Provence", null)]
    [InlineData(43.3300, 5.4800, "13002", "Marseille Provence", null)] // Allauch
    public void Locate_KnownPlace_ReturnsCommuneTerritoryAndArrondissement(double lat, double lon, string insee, string territory, string? arrondissement)
    {
        var context = Real.Value.Locate(new GeoPoint(lat, lon));

        Assert.NotNull(context);
        Assert.Equal(insee, context.Commune.Insee);
        Assert.Equal(territory, context.Territory);
        Assert.Equal(arrondissement, context.Arrondissement?.Insee);
        Assert.Contains(context.Matches, m => m.StartsWith($"communes: {insee} {context.Commune.Name} ({territory})", StringComparison.Ordinal));
        Assert.Equal(arrondissement is null ? 1 : 2, context.Matches.Count(m => !m.Contains("boundary", StringComparison.Ordinal)));
    }

    [SharedDataFact]
    public void Locate_Canebiere_NamesTheFirstArrondissementInMatches()
    {
        var context = Real.Value.Locate(new GeoPoint(43.2985, 5.3795));

        Assert.Equal(new CommuneRef("13055", "Marseille"), context?.Commune);
        Assert.Equal("Marseille 1er Arrondissement", context?.Arrondissement?.Name);
        Assert.Contains("arrondissements: 13201 Marseille 1er Arrondissement", context!.Matches);
        Assert.Null(context.NearBoundaryM);
    }

    [SharedDataTheory]
    [InlineData(43.20, 5.20)] // the sea off Marseille
    [InlineData(43.6766, 4.6278)] // Arles
    public void Locate_OutsideTheMetropole_ReturnsNull(double lat, double lon)
    {
        Assert.Null(Real.Value.Locate(new GeoPoint(lat, lon)));
    }

    [SharedDataFact]
    public void Locate_ManyThreadsAtOnce_GiveTheSequentialAnswers()
    {
        var layer = Real.Value;
        var points = Grid(minLat: 43.10, maxLat: 43.80, minLon: 4.70, maxLon: 5.85, steps: 70);
        var expected = points.Select(layer.Locate).ToArray();
        Assert.True(expected.Count(c => c is not null) > points.Length / 4, "the grid should mostly fall inside the Métropole");
        Assert.Equal(6, expected.Where(c => c is not null).Select(c => c!.Territory).Distinct().Count());
        Assert.Equal(16, expected.Select(c => c?.Arrondissement?.Insee).Where(a => a is not null).Distinct().Count());

        var mismatches = RunConcurrently(layer, points, expected, threads: 8);

        Assert.Equal(0, mismatches);
    }

    internal static GeoPoint[] Grid(double minLat, double maxLat, double minLon, double maxLon, int steps)
    {
        var points = new GeoPoint[steps * steps];
        for (var i = 0; i < steps; i++)
        {
            for (var j = 0; j < steps; j++)
            {
                points[(i * steps) + j] = new GeoPoint(minLat + ((maxLat - minLat) * i / (steps - 1)), minLon + ((maxLon - minLon) * j / (steps - 1)));
            }
        }

        return points;
    }

    /// <summary>Each thread walks all the points in its own order; returns how many answers differed from <paramref name="expected"/>.</summary>
    internal static int RunConcurrently(ILocator locator, GeoPoint[] points, LocationContext?[] expected, int threads)
    {
        var described = expected.Select(GisTestLayers.Describe).ToArray();
        var mismatches = 0;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var order = Enumerable.Range(0, points.Length).ToArray();
            new Random(t).Shuffle(order);
            start.SignalAndWait();
            for (var round = 0; round < 3; round++)
            {
                foreach (var k in order)
                {
                    if (GisTestLayers.Describe(locator.Locate(points[k])) != described[k])
                    {
                        Interlocked.Increment(ref mismatches);
                    }
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return mismatches;
    }
}
