using Fidamia.Core.Storage;
using Npgsql;

namespace Fidamia.Storage.Postgres;

/// <summary>
/// One PostgreSQL database, migrated, and the connection pool the report store and the queue store share. Several
/// service instances may open the same database: the schema is migrated once, and every write is one short transaction.
/// </summary>
public sealed class PostgresDatabase : IDisposable, IAsyncDisposable
{
    private PostgresDatabase(NpgsqlDataSource dataSource, string name)
    {
        DataSource = dataSource;
        Name = name;
    }

    /// <summary>Where the database is, for messages: server, port, database and search path, never the password.</summary>
    public string Name { get; }

    internal NpgsqlDataSource DataSource { get; }

    /// <summary>Connects to the database and applies the migrations it lacks.</summary>
    /// <exception cref="StorageException">
    /// The connection string is not one, the server cannot be reached or refuses the login, or the schema is newer than
    /// this binary knows.
    /// </exception>
    public static PostgresDatabase Open(string connectionString)
    {
        NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new StorageException($"Storage: the PostgreSQL connection string cannot be read: {ex.Message}", ex);
        }

        var name = NameOf(settings);
        // The same few statements run for every report: prepared once per connection, the server parses and plans them
        // once, unless the connection string says otherwise.
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            settings.MaxAutoPrepare = 32;
        }

        var dataSource = NpgsqlDataSource.Create(settings);
        try
        {
            PostgresMigrations.Apply(dataSource, name);
        }
        catch (Exception ex) when (ex is NpgsqlException or StorageException)
        {
            dataSource.Dispose();
            throw ex as StorageException ?? new StorageException($"Storage: the PostgreSQL database {name} cannot be used: {ex.Message}", ex);
        }

        return new PostgresDatabase(dataSource, name);
    }

    /// <summary>Whether Npgsql reads <paramref name="value"/> as a connection string (a file path, say, it does not).</summary>
    public static bool IsConnectionString(string value)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public void Dispose() => DataSource.Dispose();

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    private static string NameOf(NpgsqlConnectionStringBuilder settings)
    {
        var name = $"{settings.Database ?? settings.Username} on {settings.Host}:{settings.Port}";
        return string.IsNullOrEmpty(settings.SearchPath) ? name : $"{name} (search path {settings.SearchPath})";
    }
}
