using Fidamia.Core.Geo;
using Fidamia.Gis;
using Fidamia.Tests;

namespace Fidamia.UnitTests.Gis;

/// <summary>The real communes of the Métropole, from ../shared/data (skipped when absent).</summary>
public sealed class CommuneLayerRealTests
{
    private static readonly Lazy<CommuneLayer> Real = new(() => new CommuneLayer(SharedData.Gis("amp-communes.geojson")));

    [SharedDataFact]
    public void Load_RealLayer_Has92CommunesAndIsNotDemo()
    {
        Assert.Equal(92, Real.Value.Count);
        Assert.False(Real.Value.IsDemo);
    }

    [SharedDataTheory]
    [InlineData(43.2965, 5.3698, "13055", "Marseille", "Marseille Provence")]
    [InlineData(43.5297, 5.4474, "13001", "Aix-en-Provence", "Pays d'Aix")]
    [InlineData(43.6942, 5.5019, "84089", "Pertuis", "Pays d'Aix")]
    [InlineData(43.3833, 5.7083, "83120", "Saint-Zacharie", "Pays d'Aubagne et de l'Étoile")]
    [InlineData(43.6403, 5.0972, "13103", "Salon-de-Provence", "Pays Salonais")]
    [InlineData(43.1748, 5.6047, "13028", "La Ciotat", "Marseille Provence")]
    [InlineData(43.2927, 5.5708, "13005", "Aubagne", "Pays d'Aubagne et de l'Étoile")]
    [InlineData(43.5151, 4.9895, "13047", "Istres", "Istres-Ouest Provence")]
    [InlineData(43.4045, 5.0475, "13056", "Martigues", "Pays de Martigues")]
    public void Locate_KnownPlace_ReturnsItsCommune(double lat, double lon, string insee, string name, string territory)
    {
        var context = Real.Value.Locate(new GeoPoint(lat, lon));

        Assert.NotNull(context);
        Assert.Equal(insee, context.Commune.Insee);
        Assert.Equal(name, context.Commune.Name);
        Assert.Equal(territory, context.Territory);
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
    internal static int RunConcurrently(CommuneLayer layer, GeoPoint[] points, Fidamia.Core.Location.LocationContext?[] expected, int threads)
    {
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
                    if (!Equals(layer.Locate(points[k]), expected[k]))
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
