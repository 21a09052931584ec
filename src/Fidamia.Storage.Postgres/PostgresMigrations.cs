using Fidamia.Core.Storage;
using Npgsql;

namespace Fidamia.Storage.Postgres;

/// <summary>
/// The schema's versions, applied in order at start, each in its own transaction and recorded in
/// <c>schema_migrations</c>, as SQLite's are and with the same version numbers. A database migrated by a newer binary is
/// refused, never written to.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>Every migration this binary knows: (version, name), its SQL an embedded resource of that name.</summary>
    public static readonly IReadOnlyList<(int Version, string Name)> All = [(1, "0001_reports"), (2, "0002_photo_retention"), (3, "0003_review"), (4, "0004_received_order")];

    // The advisory lock's first key, any constant of Fidamia's own; the second is a hash of the schema, so schemas of one
    // database (the tests' among them) migrate without waiting for each other.
    private const int LockClass = 0x46494441;

    public static int Latest => All[^1].Version;

    public static void Apply(NpgsqlDataSource dataSource, string name)
    {
        using var connection = dataSource.OpenConnection();

        // Every step takes the lock first: instances starting together take turns, and the one that waited finds the
        // table there and the version applied. A transaction-level lock is released by the commit, so a crashed start
        // never leaves it held.
        var current = InLock(connection, transaction =>
        {
            Execute(connection, transaction, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """);
            return CurrentVersion(connection, transaction, name);
        });

        foreach (var (version, script) in All.Where(m => m.Version > current))
        {
            InLock(connection, transaction =>
            {
                if (CurrentVersion(connection, transaction, name) >= version)
                {
                    return 0;
                }

                Execute(connection, transaction, Script(script));
                using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", connection, transaction);
                record.Parameters.AddWithValue("version", version);
                record.Parameters.AddWithValue("name", script);
                record.ExecuteNonQuery();
                return 0;
            });
        }
    }

    public static int CurrentVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", connection, transaction);
        return (int)command.ExecuteScalar()!;
    }

    /// <summary>The database's version; refused when a newer binary migrated it.</summary>
    private static int CurrentVersion(NpgsqlConnection connection, NpgsqlTransaction transaction, string name)
    {
        var current = CurrentVersion(connection, transaction);
        return current <= Latest ? current : throw new StorageException(
            $"Storage: the PostgreSQL database {name} has schema version {current}, newer than this binary knows ({Latest}): run a Fidamia at least as new as the one that migrated it");
    }

    private static T InLock<T>(NpgsqlConnection connection, Func<NpgsqlTransaction, T> step)
    {
        using var transaction = connection.BeginTransaction();
        using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@class, hashtext(COALESCE(current_schema(), '')))", connection, transaction))
        {
            command.Parameters.AddWithValue("class", LockClass);
            command.ExecuteNonQuery();
        }

        var result = step(transaction);
        transaction.Commit();
        return result;
    }

    private static string Script(string name)
    {
        using var stream = typeof(PostgresMigrations).Assembly.GetManifestResourceStream($"Fidamia.Storage.Postgres.{name}.sql")
            ?? throw new InvalidOperationException($"migration {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
