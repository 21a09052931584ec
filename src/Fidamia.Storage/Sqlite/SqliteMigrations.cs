using System.Globalization;
using Fidamia.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Fidamia.Storage.Sqlite;

/// <summary>
/// The schema's versions, applied in order at start, each in its own transaction and recorded in
/// <c>schema_migrations</c>. A database migrated by a newer binary is refused, never written to.
/// </summary>
internal static class SqliteMigrations
{
    /// <summary>Every migration this binary knows: (version, name), its SQL an embedded resource of that name.</summary>
    public static readonly IReadOnlyList<(int Version, string Name)> All = [(1, "0001_reports"), (2, "0002_photo_retention"), (3, "0003_review"), (4, "0004_received_order")];

    public static int Latest => All[^1].Version;

    /// <param name="upTo">The last version to apply: tests make an older schema with it.</param>
    public static void Apply(SqliteConnection connection, string path, int upTo = int.MaxValue)
    {
        Execute(connection, null, """
            CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
            """);
        var current = CurrentVersion(connection);
        if (current > Latest)
        {
            throw new StorageException(
                $"Storage: the database {path} has schema version {current}, newer than this binary knows ({Latest}): run a Fidamia at least as new as the one that migrated it");
        }

        foreach (var (version, name) in All.Where(m => m.Version > current && m.Version <= upTo))
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, Script(name));
            Execute(connection, transaction, $"""
                INSERT INTO schema_migrations (version, name, applied_at)
                VALUES ({version}, '{name}', '{DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}')
                """);
            transaction.Commit();
        }
    }

    public static int CurrentVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static string Script(string name)
    {
        using var stream = typeof(SqliteMigrations).Assembly.GetManifestResourceStream($"Fidamia.Storage.Sqlite.{name}.sql")
            ?? throw new InvalidOperationException($"migration {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
