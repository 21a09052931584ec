using Fidamia.Core.Geo;
using Fidamia.Gis;
using Fidamia.Gis.Sources;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace Fidamia.Benchmarks;

/// <summary>
/// The GIS data the context and rule benchmarks share: the real 92 communes and 16 Marseille arrondissements from the
/// shared data, and 1,000 zones and 20,000 road segments generated over the Métropole with a fixed seed (same
/// features in every run and every benchmark process), loaded into a <see cref="LayerSet"/> the way the service
/// builds one (<see cref="GisOptions.ResolveLayers"/>, <see cref="GisLayer.Load(LayerDefinition, IFeatureSource, CancellationToken)"/>,
/// the configured road and boundary distances). Plus a fixed set of query points: most on land, some at sea or
/// outside the Métropole, a share inside zones, near roads and on commune boundaries so every part of a lookup is hit.
/// </summary>
internal sealed class GisBenchmarkData
{
    public const int ZoneCount = 1_000;
    public const int RoadCount = 20_000;
    public const int PointCount = 1_000;
    public const string CommunesLayer = "communes";
    public const string ArrondissementsLayer = "arrondissements";
    public const string ZonesLayer = "zones";
    public const string RoadsLayer = "roads";

    // The Métropole's bounding box, roughly (WGS84 degrees; the communes span 4.73-5.81 E, 43.16-43.77 N).
    private const double MinLon = 4.85;
    private const double MaxLon = 5.85;
    private const double MinLat = 43.15;
    private const double MaxLat = 43.75;
    private const double MetresPerDegreeLat = 111_132;
    private const int Seed = 20_251_128;

    private static readonly double MetresPerDegreeLon = 111_320 * Math.Cos(43.45 * Math.PI / 180);
    private static readonly string[] ZoneTypes = ["park", "school", "port", "market", "hospital", "cemetery", "stadium", "industrial"];
    private static readonly string[] RoadOwners = ["metropole", "commune", "departement", "etat", "prive"];

    private GisBenchmarkData(
        GisOptions options,
        LayerSet layers,
        IReadOnlyList<SourceFeature> communes,
        IReadOnlyList<SourceFeature> arrondissements,
        IReadOnlyList<SourceFeature> zones,
        IReadOnlyList<SourceFeature> roads,
        GeoPoint[] points)
    {
        Options = options;
        Layers = layers;
        Communes = communes;
        Arrondissements = arrondissements;
        Zones = zones;
        Roads = roads;
        Points = points;
    }

    public GisOptions Options { get; }

    /// <summary>The loaded layers, as the service's locator holds them.</summary>
    public LayerSet Layers { get; }

    /// <summary>The source features (WGS84), for the naive scan to reproject on its own.</summary>
    public IReadOnlyList<SourceFeature> Communes { get; }

    public IReadOnlyList<SourceFeature> Arrondissements { get; }

    public IReadOnlyList<SourceFeature> Zones { get; }

    public IReadOnlyList<SourceFeature> Roads { get; }

    /// <summary>The query points, the same in every run.</summary>
    public GeoPoint[] Points { get; }

    public static string CommunesPath => Path.Combine(BenchmarkPhotos.SharedData, "gis", "amp-communes.geojson");

    public static string ArrondissementsPath => Path.Combine(BenchmarkPhotos.SharedData, "gis", "marseille-arrondissements.geojson");

    /// <exception cref="InvalidOperationException">The shared GIS layers are missing.</exception>
    public static GisBenchmarkData Create()
    {
        foreach (var path in new[] { CommunesPath, ArrondissementsPath })
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"no shared GIS layer at {path}: the GIS benchmarks need ../shared/data/gis/amp-communes.geojson and marseille-arrondissements.geojson; set FIDAMIA_SHARED_DATA to the shared data folder");
            }
        }

        var communes = new GeoJsonFeatureSource(CommunesPath).ReadAll(CancellationToken.None);
        var arrondissements = new GeoJsonFeatureSource(ArrondissementsPath).ReadAll(CancellationToken.None);
        var land = new Land(communes);
        var random = new Random(Seed);
        var zones = GenerateZones(random, land);
        var roads = GenerateRoads(random, land);
        var points = GeneratePoints(random, land, communes, zones, roads);

        var options = new GisOptions
        {
            Layers =
            [
                new LayerOptions { Name = CommunesLayer, Role = "commune", Path = CommunesPath },
                new LayerOptions { Name = ArrondissementsLayer, Role = "arrondissement", Path = ArrondissementsPath },
                new LayerOptions { Name = ZonesLayer, Role = "zone" },
                new LayerOptions { Name = RoadsLayer, Role = "road" },
            ],
        };
        var generated = new Dictionary<string, IReadOnlyList<SourceFeature>>(StringComparer.Ordinal)
        {
            [ZonesLayer] = zones,
            [RoadsLayer] = roads,
        };
        var layers = new List<GisLayer>();
        foreach (var definition in options.ResolveLayers())
        {
            layers.Add(definition.Path is null
                ? GisLayer.Load(definition, new InMemoryFeatureSource($"generated {definition.Name}", generated[definition.Name]))
                : GisLayer.Load(definition));
        }

        var set = new LayerSet(layers, options.RoadDistanceM, options.BoundaryDistanceM);
        Console.WriteLine($"// GIS layers: {string.Join(", ", set.Layers.Select(l => $"{l.Name} {l.Count} ({l.LoadTime.TotalMilliseconds:0} ms)"))}");
        return new GisBenchmarkData(options, set, communes, arrondissements, zones, roads, points);
    }

    /// <summary>Quadrilaterals and pentagons 50-500 m across, star-shaped round their centre (so always valid); 9 in 10 on land.</summary>
    private static List<SourceFeature> GenerateZones(Random random, Land land)
    {
        var zones = new List<SourceFeature>(ZoneCount);
        for (var i = 0; i < ZoneCount; i++)
        {
            var (lon, lat) = i % 10 == 9 ? Anywhere(random) : land.RandomPoint(random);
            var radius = (50 + (random.NextDouble() * 450)) / 2;
            var vertices = random.Next(4, 6);
            var start = random.NextDouble() * 2 * Math.PI;
            var ring = new Coordinate[vertices + 1];
            for (var k = 0; k < vertices; k++)
            {
                // Jittered by less than half a step: the angles keep increasing, so the ring never crosses itself.
                var angle = start + ((k + ((random.NextDouble() - 0.5) * 0.5)) * 2 * Math.PI / vertices);
                var r = radius * (0.7 + (0.3 * random.NextDouble()));
                ring[k] = Offset(lon, lat, r * Math.Cos(angle), r * Math.Sin(angle));
            }

            ring[vertices] = ring[0].Copy();
            var type = ZoneTypes[random.Next(ZoneTypes.Length)];
            zones.Add(new SourceFeature(
                land.Factory.CreatePolygon(ring),
                new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["id"] = $"z{i:0000}",
                    ["type"] = type,
                    ["name"] = $"Zone {i} ({type})",
                }));
        }

        return zones;
    }

    /// <summary>Polylines of 2-5 vertices, 30-400 m long, turning up to 45° at each vertex; 9 in 10 start on land.</summary>
    private static List<SourceFeature> GenerateRoads(Random random, Land land)
    {
        var roads = new List<SourceFeature>(RoadCount);
        for (var i = 0; i < RoadCount; i++)
        {
            var (lon, lat) = i % 10 == 9 ? Anywhere(random) : land.RandomPoint(random);
            var length = 30 + (random.NextDouble() * 370);
            var vertices = random.Next(2, 6);
            var step = length / (vertices - 1);
            var heading = random.NextDouble() * 2 * Math.PI;
            var line = new Coordinate[vertices];
            line[0] = new Coordinate(lon, lat);
            for (var k = 1; k < vertices; k++)
            {
                heading += (random.NextDouble() - 0.5) * Math.PI / 2;
                line[k] = Offset(line[k - 1].X, line[k - 1].Y, step * Math.Cos(heading), step * Math.Sin(heading));
            }

            roads.Add(new SourceFeature(
                land.Factory.CreateLineString(line),
                new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["id"] = $"r{i:00000}",
                    ["name"] = $"Voie {i}",
                    ["owner"] = RoadOwners[random.Next(RoadOwners.Length)],
                }));
        }

        return roads;
    }

    /// <summary>
    /// Per 20 points: 3 anywhere in the box (sea, outside), 1 on a commune outline's vertex (a boundary), 6 inside a
    /// zone, 6 within 0-45 m of a road vertex, 4 anywhere on land.
    /// </summary>
    private static GeoPoint[] GeneratePoints(Random random, Land land, IReadOnlyList<SourceFeature> communes, List<SourceFeature> zones, List<SourceFeature> roads)
    {
        var points = new GeoPoint[PointCount];
        for (var i = 0; i < PointCount; i++)
        {
            (double Lon, double Lat) at;
            switch (i % 20)
            {
                case < 3:
                    at = Anywhere(random);
                    break;
                case 3:
                    var outline = communes[random.Next(communes.Count)].Geometry.Coordinates;
                    var vertex = outline[random.Next(outline.Length)];
                    at = (vertex.X, vertex.Y);
                    break;
                case < 10:
                    var zone = zones[random.Next(zones.Count)].Geometry;
                    var centre = zone.Centroid.Coordinate;
                    // Within 0.3 of the smallest radius (0.7 × 25 m at least) of the centre: inside the zone.
                    var reach = Math.Min(zone.EnvelopeInternal.Width * MetresPerDegreeLon, zone.EnvelopeInternal.Height * MetresPerDegreeLat) * 0.15;
                    var angle = random.NextDouble() * 2 * Math.PI;
                    var c = Offset(centre.X, centre.Y, reach * random.NextDouble() * Math.Cos(angle), reach * random.NextDouble() * Math.Sin(angle));
                    at = (c.X, c.Y);
                    break;
                case < 16:
                    var road = roads[random.Next(roads.Count)].Geometry.Coordinates;
                    var on = road[random.Next(road.Length)];
                    var direction = random.NextDouble() * 2 * Math.PI;
                    var distance = random.NextDouble() * 45;
                    var near = Offset(on.X, on.Y, distance * Math.Cos(direction), distance * Math.Sin(direction));
                    at = (near.X, near.Y);
                    break;
                default:
                    at = land.RandomPoint(random);
                    break;
            }

            points[i] = new GeoPoint(at.Lat, at.Lon);
        }

        return points;
    }

    private static (double Lon, double Lat) Anywhere(Random random) =>
        (MinLon + (random.NextDouble() * (MaxLon - MinLon)), MinLat + (random.NextDouble() * (MaxLat - MinLat)));

    private static Coordinate Offset(double lon, double lat, double eastM, double northM) =>
        new(lon + (eastM / MetresPerDegreeLon), lat + (northM / MetresPerDegreeLat));

    /// <summary>Points drawn in the box until one falls in a commune (setup only: prepared WGS84 outlines).</summary>
    private sealed class Land(IReadOnlyList<SourceFeature> communes)
    {
        private readonly IPreparedGeometry[] _communes = [.. communes.Select(c => PreparedGeometryFactory.Prepare(c.Geometry))];

        public GeometryFactory Factory { get; } = new();

        public (double Lon, double Lat) RandomPoint(Random random)
        {
            while (true)
            {
                var (lon, lat) = Anywhere(random);
                var point = Factory.CreatePoint(new Coordinate(lon, lat));
                foreach (var commune in _communes)
                {
                    if (commune.Geometry.EnvelopeInternal.Contains(lon, lat) && commune.Contains(point))
                    {
                        return (lon, lat);
                    }
                }
            }
        }
    }
}
