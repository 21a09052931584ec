using System.Text;
using System.Text.Json;
using Fidamia.Core.Geo;
using Fidamia.Gis;
using Fidamia.Tests;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Converters;
using NetTopologySuite.IO.Esri;

namespace Fidamia.UnitTests.Gis;

/// <summary>
/// The real layers reprojected to Lambert-93 and written as GeoJSON (Crs 2154), Shapefile and GeoPackage give the
/// same answers as the WGS84 originals.
/// </summary>
public sealed class TwinLayerTests : IDisposable
{
    private static readonly JsonSerializerOptions GeoJsonOptions = new() { Converters = { new GeoJsonConverterFactory() } };

    private readonly GisTestLayers _layers = new();

    public void Dispose() => _layers.Dispose();

    [SharedDataTheory]
    [InlineData("geojson")]
    [InlineData("shp")]
    [InlineData("gpkg")]
    public void Locate_Lambert93Twin_GivesTheSameAnswersAsWgs84(string format)
    {
        var original = GisRealLayerTests.Real.Value;
        var communes = Write(format, "communes", original.Communes, ["insee", "nom", "territoire"]);
        var arrondissements = Write(format, "arrondissements", original["arrondissements"]!, ["insee", "nom"]);
        var twin = new LayerSet(
        [
            GisTestLayers.LoadCommunes(communes, Projections.Lambert93),
            GisTestLayers.Load("arrondissements", LayerRole.Arrondissement, arrondissements, Projections.Lambert93),
        ]);
        var points = GisRealLayerTests.Grid(43.15, 43.75, 4.85, 5.85, steps: 12)
            .Concat(GisRealLayerTests.Grid(43.22, 43.38, 5.30, 5.50, steps: 8))
            .ToArray();

        var inside = 0;
        foreach (var point in points)
        {
            var expected = original.Locate(point);
            var actual = twin.Locate(point);
            inside += expected is null ? 0 : 1;
            if (expected?.Commune != actual?.Commune || expected?.Arrondissement != actual?.Arrondissement)
            {
                Assert.True(WithinOfABoundary(original, point, 2), $"{format}: {point} gives {actual?.Commune} / {actual?.Arrondissement}, not {expected?.Commune} / {expected?.Arrondissement}");
            }
        }

        Assert.Equal(92, twin.Communes.Count);
        Assert.True(inside > 100, $"only {inside} of {points.Length} points fell inside the Métropole");
    }

    [SharedDataFact]
    public void Load_Lambert93GeoJsonDeclaredAsWgs84_FailsSayingProjected()
    {
        var path = Write("geojson", "communes", GisRealLayerTests.Real.Value.Communes, ["insee", "nom", "territoire"]);

        var ex = Assert.Throws<InvalidDataException>(() => GisTestLayers.LoadCommunes(path, Projections.Wgs84));

        Assert.Contains("outside WGS84 degrees", ex.Message, StringComparison.Ordinal);
    }

    private static bool WithinOfABoundary(LayerSet set, GeoPoint point, double metres)
    {
        var (x, y) = Projections.ToLambert93(point.Lon, point.Lat);
        var at = Projections.MetricFactory.CreatePoint(new Coordinate(x, y));
        return set.Layers.SelectMany(l => l.Features).Any(f => f.Geometry.Boundary.IsWithinDistance(at, metres));
    }

    private string Write(string format, string name, GisLayer layer, string[] properties)
    {
        // The loaded layer is already in Lambert-93, reprojected by the same code the service uses.
        var features = layer.Features.Select(f =>
        {
            var attributes = new AttributesTable();
            foreach (var property in properties)
            {
                attributes.Add(property, f[property]);
            }

            return new Feature(f.Geometry.Copy(), attributes);
        }).ToList();
        var path = Path.Combine(_layers.Root, $"{name}-2154.{format}");
        switch (format)
        {
            case "geojson":
                var collection = new FeatureCollection();
                features.ForEach(collection.Add);
                File.WriteAllText(path, JsonSerializer.Serialize(collection, GeoJsonOptions), new UTF8Encoding(false));
                break;
            case "shp":
                Shapefile.WriteAllFeatures(features, path, projection: null, encoding: Encoding.UTF8);
                break;
            case "gpkg":
                WriteGeoPackage(path, name, features, properties);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }

        return path;
    }

    /// <summary>A minimal GeoPackage: the three required metadata tables and one feature table of GeoPackage geometry blobs.</summary>
    private static void WriteGeoPackage(string path, string table, List<Feature> features, string[] properties)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA application_id = 1196444487");
        Execute(connection, "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)");
        Execute(connection, "INSERT INTO gpkg_spatial_ref_sys VALUES ('RGF93 / Lambert-93', 2154, 'EPSG', 2154, 'undefined', NULL)");
        Execute(connection, "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, description TEXT DEFAULT '', last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER)");
        Execute(connection, $"INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('{table}', 'features', '{table}', 2154)");
        Execute(connection, "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL)");
        Execute(connection, $"INSERT INTO gpkg_geometry_columns VALUES ('{table}', 'geom', 'MULTIPOLYGON', 2154, 0, 0)");
        Execute(connection, $"CREATE TABLE \"{table}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, {string.Join(", ", properties.Select(p => p + " TEXT"))})");
        using var transaction = connection.BeginTransaction();
        var writer = new GeoPackageGeoWriter();
        foreach (var feature in features)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = $"INSERT INTO \"{table}\" (geom, {string.Join(", ", properties)}) VALUES ($geom, {string.Join(", ", properties.Select(p => "$" + p))})";
            feature.Geometry.SRID = Projections.Lambert93;
            insert.Parameters.AddWithValue("$geom", writer.Write(feature.Geometry));
            foreach (var property in properties)
            {
                insert.Parameters.AddWithValue("$" + property, feature.Attributes[property]);
            }

            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
