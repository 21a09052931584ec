using Fidamia.Core.Geo;
using Fidamia.Gis;
using Fidamia.Tests;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Distance;
using static Fidamia.UnitTests.Gis.GisTestLayers;

namespace Fidamia.UnitTests.Gis;

/// <summary>Nearest road within the configured distance, and the near-boundary flag, in metres.</summary>
public sealed class RoadAndBoundaryTests : IDisposable
{
    // A point in a hand-written commune square around Marseille's centre; roads run north-south beside it.
    private static readonly GeoPoint Centre = new(43.2965, 5.3698);

    private readonly GisTestLayers _layers = new();

    public void Dispose() => _layers.Dispose();

    [Theory]
    [InlineData(3.0)]
    [InlineData(12.0)]
    [InlineData(29.0)]
    public void Locate_RoadWithinThirtyMetres_ReportsItWithOwnerAndDistance(double eastM)
    {
        var set = WithRoads(out var roadX);
        var (_, y) = Projections.ToLambert93(Centre.Lon, Centre.Lat);
        var point = FromLambert93(roadX + eastM, y);

        var context = set.Locate(point);

        Assert.NotNull(context?.Road);
        Assert.Equal("rd-1", context.Road.Id);
        Assert.Equal("Route départementale", context.Road.Name);
        Assert.Equal("departement", context.Road.Owner);
        Assert.Equal("roads", context.Road.Layer);
        Assert.Equal(eastM, context.Road.DistanceM, 0.05);
        Assert.Contains(context.Matches, m => m.StartsWith("roads: rd-1 Route départementale (departement) at ", StringComparison.Ordinal));
    }

    [Fact]
    public void Locate_RoadBeyondThirtyMetres_ReportsNone()
    {
        var set = WithRoads(out var roadX);
        var (_, y) = Projections.ToLambert93(Centre.Lon, Centre.Lat);

        var context = set.Locate(FromLambert93(roadX + 31, y));

        Assert.NotNull(context);
        Assert.Null(context.Road);
        Assert.DoesNotContain(context.Matches, m => m.StartsWith("roads:", StringComparison.Ordinal));
    }

    [Fact]
    public void Locate_BetweenTwoRoads_ReportsTheNearest()
    {
        var set = WithRoads(out var roadX);
        var (_, y) = Projections.ToLambert93(Centre.Lon, Centre.Lat);

        var context = set.Locate(FromLambert93(roadX - 14, y)); // 14 m from rd-1, 6 m from the lane 20 m west

        Assert.Equal("lane-7", context?.Road?.Id);
        Assert.Equal("commune", context?.Road?.Owner);
        Assert.Equal(6, context!.Road!.DistanceM, 0.05);
    }

    [Fact]
    public void Locate_RoadDistance_AgreesWithTheGeodesicWithinHalfAPercent()
    {
        var set = WithRoads(out var roadX);
        var (_, y) = Projections.ToLambert93(Centre.Lon, Centre.Lat);
        var point = FromLambert93(roadX + 25, y + 7);

        var road = set.Locate(point)!.Road!;
        var foot = FromLambert93(roadX, y + 7);

        Assert.InRange(road.DistanceM / Vincenty.InverseMeters(point, foot), 0.995, 1.005);
    }

    [SharedDataFact]
    public void Locate_FewMetresFromMarseilleAllauchBoundary_ReportsNearBoundary()
    {
        var (point, expected) = NearMarseilleAllauch(metres: 8);
        var set = GisRealLayerTests.Real.Value;

        var context = set.Locate(point);

        Assert.Equal("13055", context?.Commune.Insee);
        Assert.NotNull(context!.NearBoundaryM);
        Assert.Equal(expected, context.NearBoundaryM.Value, 0.01);
        Assert.InRange(context.NearBoundaryM.Value, 0, 8.01);
        Assert.Contains(context.Matches, m => m.Contains("from the boundary with 13002 Allauch", StringComparison.Ordinal));
    }

    [SharedDataFact]
    public void Locate_NearBoundaryDistance_AgreesWithTheGeodesicWithinHalfAPercent()
    {
        var (point, _) = NearMarseilleAllauch(metres: 20);
        var set = GisRealLayerTests.Real.Value;
        var allauch = set.Communes.Features.Single(f => f["insee"] == "13002").Geometry;
        var (px, py) = Projections.ToLambert93(point.Lon, point.Lat);
        var nearest = DistanceOp.NearestPoints(allauch, Projections.MetricFactory.CreatePoint(new Coordinate(px, py)))[0];

        var reported = set.Locate(point)!.NearBoundaryM!.Value;

        Assert.InRange(reported / Vincenty.InverseMeters(point, FromLambert93(nearest.X, nearest.Y)), 0.995, 1.005);
    }

    [SharedDataTheory]
    [InlineData(43.2985, 5.3795)] // La Canebière, the city centre
    [InlineData(43.2840, 5.3530)] // by the sea at the Anse des Catalans: the coast is no boundary
    [InlineData(43.2150, 5.4400)] // Les Goudes side of the Calanques, near the coast
    public void Locate_CentreOrCoast_IsNotNearABoundary(double lat, double lon)
    {
        var context = GisRealLayerTests.Real.Value.Locate(new GeoPoint(lat, lon));

        Assert.Equal("13055", context?.Commune.Insee);
        Assert.Null(context!.NearBoundaryM);
    }

    /// <summary>
    /// A point inside Marseille, <paramref name="metres"/> from Allauch: from a vertex the two communes share, step
    /// along the Marseille side until the nearest Allauch edge is that far.
    /// </summary>
    private static (GeoPoint Point, double DistanceM) NearMarseilleAllauch(double metres)
    {
        var communes = GisRealLayerTests.Real.Value.Communes;
        var marseille = communes.Features.Single(f => f["insee"] == "13055").Geometry;
        var allauch = communes.Features.Single(f => f["insee"] == "13002").Geometry;
        var shared = allauch.Coordinates.First(c => marseille.IsWithinDistance(Projections.MetricFactory.CreatePoint(c), 0.01));
        for (var angle = 0; angle < 360; angle += 5)
        {
            var radians = double.DegreesToRadians(angle);
            for (var step = metres; step < metres * 4; step += 0.25)
            {
                var candidate = Projections.MetricFactory.CreatePoint(new Coordinate(shared.X + (step * Math.Cos(radians)), shared.Y + (step * Math.Sin(radians))));
                var distance = allauch.Distance(candidate);
                if (distance > metres)
                {
                    break;
                }

                if (distance > metres - 0.5 && marseille.Covers(candidate) && !allauch.Covers(candidate))
                {
                    return (FromLambert93(candidate.X, candidate.Y), distance);
                }
            }
        }

        throw new InvalidOperationException("no point found near the Marseille/Allauch boundary");
    }

    private LayerSet WithRoads(out double roadX)
    {
        var communes = _layers.WriteCollection("communes.geojson", [Feature("13055", "Marseille", "Marseille Provence", Rectangle(5.30, 43.25, 5.45, 43.35))]);
        var (x, y) = Projections.ToLambert93(Centre.Lon, Centre.Lat);
        roadX = x;
        // A Lambert-93 road layer, so the roads are exactly north-south lines at known eastings.
        var roads = _layers.WriteCollection("roads.geojson",
        [
            FeatureWith(Line((x, y - 500), (x, y + 500)), ("id", "rd-1"), ("name", "Route départementale"), ("owner", "departement")),
            FeatureWith(Line((x - 20, y - 500), (x - 20, y + 500)), ("id", "lane-7"), ("name", "Traverse"), ("owner", "commune")),
            FeatureWith(Line((x + 300, y - 500), (x + 300, y + 500)), ("id", "a-1"), ("name", "Autoroute"), ("owner", "etat")),
        ]);
        return new LayerSet([LoadCommunes(communes), Load("roads", LayerRole.Road, roads, Projections.Lambert93)]);
    }
}
