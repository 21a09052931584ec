using Fidamia.Core.Storage;
using Fidamia.Storage;
using Fidamia.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Fidamia.UnitTests.Storage;

/// <summary>The contract on a real SQLite file, and what only a file can get wrong: schema versions, corruption, permissions.</summary>
public sealed class SqliteReportStoreTests : ReportStoreContractTests, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fidamia-sqlite-").FullName;
    private readonly Lazy<SqliteReportStore> _store;

    public SqliteReportStoreTests() => _store = new(() => SqliteReportStore.Open(DatabasePath));

    private string DatabasePath => Path.Combine(_folder, "fidamia.db");

    protected override IReportStore Store => _store.Value;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Add_WritesReportDecisionQueueItemAndAuditTogether()
    {
        await Store.AddAsync(Report("r-1"), Decision(), CancellationToken.None);
        await Store.AddAsync(Report("r-1", fingerprint: 7), Decision(queue: "revue"), CancellationToken.None);

        Assert.Equal(1L, Scalar("SELECT COUNT(*) FROM reports"));
        Assert.Equal(1L, Scalar("SELECT COUNT(*) FROM decisions WHERE report_id = 'r-1'"));
        Assert.Equal("proprete-marseille-provence", Scalar("SELECT queue_id FROM queue_items WHERE report_id = 'r-1' AND state = 'ready'"));
        Assert.Equal("triaged", Scalar("SELECT action FROM audit WHERE report_id = 'r-1'"));
        Assert.Equal("wal", Scalar("PRAGMA journal_mode"));
    }

    [Theory]
    [InlineData(StorageDurability.Process, 1L)] // NORMAL: synced at checkpoints, a commit survives the process
    [InlineData(StorageDurability.PowerLoss, 2L)] // FULL: synced at every commit
    public void Open_Durability_IsTheSynchronousModeOfEveryConnection(StorageDurability durability, long synchronous)
    {
        using var store = SqliteReportStore.Open(DatabasePath, durability);

        using var first = store.Connect();
        using var second = store.Connect();

        Assert.All(new[] { first, second }, connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous";
            Assert.Equal(synchronous, command.ExecuteScalar());
        });
    }

    [Fact]
    public void Open_Twice_AppliesEachMigrationOnce()
    {
        _ = Store;
        SqliteReportStore.Open(DatabasePath);

        Assert.Equal((long)SqliteMigrations.Latest, Scalar("SELECT MAX(version) FROM schema_migrations"));
        Assert.Equal((long)SqliteMigrations.All.Count, Scalar("SELECT COUNT(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Open_DatabaseOfTheFirstSchema_MigratesItKeepingItsReports()
    {
        using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            connection.Open();
            SqliteMigrations.Apply(connection, DatabasePath, upTo: 1);
            Execute(connection, """
                INSERT INTO reports (report_id, fingerprint, received_at, lat, lon, accuracy_m, channel, photo_sha256, photo_format, photo_width, photo_height)
                VALUES ('v1', x'01', '2026-11-01T08:00:00.0000000+00:00', 43.3, 5.4, 10, 1, 'aa', 'jpeg', 4, 3);
                INSERT INTO decisions (report_id, source, actor, at, status, confidence, queue_id, model_name, model_version, details)
                VALUES ('v1', 'Model', 'm/1', '2026-11-01T08:00:01.0000000+00:00', 'Routed', 0.9, 'q', 'm', '1', '{}');
                """);
        }

        var stored = await Store.FindAsync("v1", CancellationToken.None);

        Assert.Equal((long)SqliteMigrations.Latest, Scalar("SELECT MAX(version) FROM schema_migrations"));
        Assert.Equal(1, stored!.Report.PhotoOrientation);
        Assert.Null(stored.Report.PhotoDeletedAt);
        Assert.Equal("q", stored.Decision.QueueId);
    }

    [Fact]
    public void Open_SchemaNewerThanTheBinary_IsRefusedNamingThePathAndWritesNothing()
    {
        _ = Store;
        Execute($"INSERT INTO schema_migrations (version, name, applied_at) VALUES ({SqliteMigrations.Latest + 1}, 'future', 'x')");
        SqliteConnection.ClearAllPools();
        var before = File.ReadAllBytes(DatabasePath);

        var ex = Assert.Throws<StorageException>(() => SqliteReportStore.Open(DatabasePath));

        Assert.Contains(DatabasePath, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"schema version {SqliteMigrations.Latest + 1}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(DatabasePath));
    }

    [Fact]
    public void Open_CorruptFile_IsRefusedNamingThePathAndLeftAsItWas()
    {
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 31 % 251)).ToArray();
        File.WriteAllBytes(DatabasePath, garbage);

        var ex = Assert.Throws<StorageException>(() => SqliteReportStore.Open(DatabasePath));

        Assert.Contains(DatabasePath, ex.Message, StringComparison.Ordinal);
        Assert.Equal(garbage, File.ReadAllBytes(DatabasePath));
    }

    [NotRootFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Open_ReadOnlyFile_IsRefusedNamingThePath()
    {
        _ = Store;
        SqliteConnection.ClearAllPools();
        File.SetUnixFileMode(DatabasePath, UnixFileMode.UserRead);
        File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var ex = Assert.Throws<StorageException>(() => SqliteReportStore.Open(DatabasePath));

            Assert.Contains(DatabasePath, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void Open_PathIsAFolder_IsRefusedNamingThePath()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "not-a-file.db")).FullName;

        var ex = Assert.Throws<StorageException>(() => SqliteReportStore.Open(folder));

        Assert.Contains(folder, ex.Message, StringComparison.Ordinal);
    }

    private object? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>A fact that needs file permissions to bind: root writes through them, so it is skipped, saying so, as root.</summary>
internal sealed class NotRootFactAttribute : FactAttribute
{
    public NotRootFactAttribute()
    {
        if (Environment.UserName == "root")
        {
            Skip = "runs as root, whom file permissions do not stop";
        }
    }
}
