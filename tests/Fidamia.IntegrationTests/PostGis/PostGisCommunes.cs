using System.Globalization;
using System.Text.Json;
using Fidamia.Tests;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using Npgsql;

namespace Fidamia.IntegrationTests.PostGis;

/// <summary>One commune of the shared GeoJSON as the file has it.</summary>
internal sealed record FileCommune(string Insee, string Nom, string Territoire, long Population, Geometry Geometry);

/// <summary>
/// The shared communes loaded into tables of this run's own (unique names, created on first use, dropped at the
/// end): WGS84, Lambert-93, and one with two geometry columns.
/// </summary>
public sealed class PostGisCommunes : IDisposable
{
    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new GeoJsonConverterFactory() } };

    private readonly string _prefix = "fidamia_test_" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<string> _created = [];
    private readonly Lazy<IReadOnlyList<FileCommune>> _file = new(ReadFile);
    private readonly Lazy<string> _wgs84;
    private readonly Lazy<string> _lambert93;
    private readonly Lazy<string> _twoGeometries;

    public PostGisCommunes()
    {
        _wgs84 = new(CreateWgs84);
        _lambert93 = new(() => CreateAs(
            "l93",
            $"SELECT insee, nom, ST_Transform(geom, 2154)::geometry(Geometry, 2154) AS geom FROM {Wgs84Table}"));
        _twoGeometries = new(() => CreateAs(
            "two",
            $"SELECT insee, ST_PointOnSurface(geom)::geometry(Point, 4326) AS centre, geom FROM {Wgs84Table}"));
    }

    internal IReadOnlyList<FileCommune> File => _file.Value;

    /// <summary>Columns id, insee, nom, territoire, population, geom (geometry(Geometry, 4326)).</summary>
    public string Wgs84Table => _wgs84.Value;

    /// <summary>Columns insee, nom, geom (geometry(Geometry, 2154)), made with ST_Transform.</summary>
    public string Lambert93Table => _lambert93.Value;

    /// <summary>Columns insee, centre (Point, 4326), geom (Geometry, 4326): centre comes first.</summary>
    public string TwoGeometriesTable => _twoGeometries.Value;

    public void Dispose()
    {
        if (_created.Count == 0)
        {
            return;
        }

        using var connection = new NpgsqlConnection(PostGisServer.Require());
        connection.Open();
        foreach (var table in Enumerable.Reverse(_created))
        {
            using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {table}", connection);
            drop.ExecuteNonQuery();
        }
    }

    private string CreateWgs84()
    {
        var table = _prefix + "_wgs84";
        var builder = new NpgsqlDataSourceBuilder(PostGisServer.Require());
        builder.UseNetTopologySuite();
        using var dataSource = builder.Build();
        using var connection = dataSource.OpenConnection();
        using (var create = new NpgsqlCommand(
            $"""
            CREATE TABLE {table} (
                id serial PRIMARY KEY,
                insee text NOT NULL,
                nom text NOT NULL,
                territoire text,
                population integer,
                geom geometry(Geometry, 4326) NOT NULL)
            """,
            connection))
        {
            create.ExecuteNonQuery();
        }

        _created.Add(table);
        using var transaction = connection.BeginTransaction();
        foreach (var commune in File)
        {
            using var insert = new NpgsqlCommand(
                $"INSERT INTO {table} (insee, nom, territoire, population, geom) VALUES (@insee, @nom, @territoire, @population, @geom)",
                connection,
                transaction);
            var geometry = commune.Geometry.Copy();
            geometry.SRID = 4326;
            insert.Parameters.AddWithValue("insee", commune.Insee);
            insert.Parameters.AddWithValue("nom", commune.Nom);
            insert.Parameters.AddWithValue("territoire", commune.Territoire);
            insert.Parameters.AddWithValue("population", checked((int)commune.Population));
            insert.Parameters.AddWithValue("geom", geometry);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return table;
    }

    private string CreateAs(string suffix, string select)
    {
        var table = _prefix + "_" + suffix;
        using var connection = new NpgsqlConnection(PostGisServer.Require());
        connection.Open();
        using var create = new NpgsqlCommand($"CREATE TABLE {table} AS {select}", connection);
        create.ExecuteNonQuery();
        _created.Add(table);
        return table;
    }

    private static List<FileCommune> ReadFile()
    {
        using var stream = System.IO.File.OpenRead(SharedData.Gis("amp-communes.geojson"));
        var collection = JsonSerializer.Deserialize<FeatureCollection>(stream, GeoJson)
            ?? throw new InvalidOperationException("amp-communes.geojson holds no feature collection");
        return collection
            .Select(feature => new FileCommune(
                Text(feature.Attributes["insee"]),
                Text(feature.Attributes["nom"]),
                Text(feature.Attributes["territoire"]),
                long.Parse(Text(feature.Attributes["population"]), CultureInfo.InvariantCulture),
                feature.Geometry))
            .ToList();
    }

    /// <summary>GeoJSON4STJ hands properties back as JsonElement or as .NET values, depending on how it is set up.</summary>
    private static string Text(object? value) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString()!,
        JsonElement element => element.GetRawText(),
        null => throw new InvalidOperationException("a commune property is null"),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };
}
