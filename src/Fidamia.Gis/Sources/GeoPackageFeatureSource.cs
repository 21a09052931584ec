using System.Globalization;
using Microsoft.Data.Sqlite;
using NetTopologySuite.IO;

namespace Fidamia.Gis.Sources;

/// <summary>
/// One feature table of a GeoPackage (an SQLite file): the table named <paramref name="table"/>, or the only/first
/// one <c>gpkg_geometry_columns</c> lists. Every non-geometry column is an attribute.
/// </summary>
public sealed class GeoPackageFeatureSource(string path, string? table = null) : IFeatureSource
{
    public string Description { get; } = table is null ? Path.GetFullPath(path) : $"{Path.GetFullPath(path)}#{table}";

    private string FilePath { get; } = Path.GetFullPath(path);

    public IReadOnlyList<SourceFeature> ReadAll(CancellationToken cancellationToken)
    {
        // No pooling: a pooled connection keeps the file open, and a layer file must be replaceable for reloads.
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString();
        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            var (tableName, geometryColumn) = FindTable(connection);
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {Quote(tableName)}";
            using var reader = command.ExecuteReader();
            var geometryOrdinal = reader.GetOrdinal(geometryColumn);
            var geometryReader = new GeoPackageGeoReader();
            var result = new List<SourceFeature>();
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var geometry = reader.IsDBNull(geometryOrdinal) ? null : geometryReader.Read((byte[])reader.GetValue(geometryOrdinal));
                var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    if (i != geometryOrdinal)
                    {
                        attributes[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                    }
                }

                result.Add(new SourceFeature(geometry!, attributes));
            }

            return result;
        }
        catch (Exception ex) when (ex is SqliteException or InvalidCastException or ArgumentException or IndexOutOfRangeException or ParseException)
        {
            throw new InvalidDataException($"GIS layer {Description} is not a readable GeoPackage: {ex.Message}", ex);
        }
    }

    private (string Table, string GeometryColumn) FindTable(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT table_name, column_name FROM gpkg_geometry_columns ORDER BY table_name";
        using var reader = command.ExecuteReader();
        var tables = new List<(string, string)>();
        while (reader.Read())
        {
            tables.Add((reader.GetString(0), reader.GetString(1)));
        }

        if (table is not null)
        {
            var match = tables.FindIndex(t => string.Equals(t.Item1, table, StringComparison.OrdinalIgnoreCase));
            return match >= 0
                ? tables[match]
                : throw new InvalidDataException($"GIS layer {Description}: the GeoPackage has no feature table '{table}' (it has: {string.Join(", ", tables.Select(t => t.Item1))})");
        }

        return tables.Count switch
        {
            0 => throw new InvalidDataException($"GIS layer {Description}: the GeoPackage has no feature table (gpkg_geometry_columns is empty)"),
            1 => tables[0],
            _ => throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"GIS layer {Description}: the GeoPackage has {tables.Count} feature tables ({string.Join(", ", tables.Select(t => t.Item1))}): name one with Table")),
        };
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
