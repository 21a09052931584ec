using Npgsql;

namespace Fidamia.IntegrationTests.PostGis;

/// <summary>A schema of its own on the test PostgreSQL server (the Search Path of its connection string), dropped after.</summary>
internal sealed class PostgresTestSchema : IAsyncDisposable
{
    private readonly string _name = $"test_{Guid.NewGuid():N}";

    public string ConnectionString => new NpgsqlConnectionStringBuilder(PostGisServer.Require()) { SearchPath = _name }.ConnectionString;

    public static async Task<PostgresTestSchema> CreateAsync()
    {
        var schema = new PostgresTestSchema();
        await ExecuteAsync(PostGisServer.Require(), $"CREATE SCHEMA {schema._name}");
        return schema;
    }

    public async Task<List<string>> ColumnAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync() => await ExecuteAsync(PostGisServer.Require(), $"DROP SCHEMA IF EXISTS {_name} CASCADE");

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
