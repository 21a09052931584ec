using Fidamia.Core.Storage;
using Fidamia.Storage.Postgres;
using Npgsql;

namespace Fidamia.UnitTests.Storage;

/// <summary>
/// The contract on a real PostgreSQL server, each test in a schema of its own, and what only a shared server can get
/// wrong: instances migrating together, a schema newer than the binary, a refused login.
/// </summary>
[RequiresPostgres]
public sealed class PostgresReportStoreTests : ReportStoreContractTests, IDisposable
{
    private readonly PostgresTestSchema _schema = new();
    private readonly Lazy<PostgresDatabase> _database;
    private readonly Lazy<PostgresReportStore> _store;

    public PostgresReportStoreTests()
    {
        _database = new(() => PostgresDatabase.Open(_schema.ConnectionString));
        _store = new(() => new PostgresReportStore(_database.Value));
    }

    protected override IReportStore Store => _store.Value;

    public void Dispose()
    {
        if (_database.IsValueCreated)
        {
            _database.Value.Dispose();
        }

        _schema.Dispose();
    }

    [PostgresFact]
    public async Task Add_WritesReportDecisionQueueItemAndAuditTogether()
    {
        await Store.AddAsync(Report("r-1"), Decision(), CancellationToken.None);
        await Store.AddAsync(Report("r-1", fingerprint: 7), Decision(queue: "revue"), CancellationToken.None);

        Assert.Equal(1L, _schema.Scalar("SELECT COUNT(*) FROM reports"));
        Assert.Equal(1L, _schema.Scalar("SELECT COUNT(*) FROM decisions WHERE report_id = 'r-1'"));
        Assert.Equal("Propreté Marseille Provence", _schema.Scalar("SELECT details->>'queueName' FROM decisions WHERE report_id = 'r-1'"));
        Assert.Equal("proprete-marseille-provence", _schema.Scalar("SELECT queue_id FROM queue_items WHERE report_id = 'r-1' AND state = 'ready'"));
        Assert.Equal("triaged", _schema.Scalar("SELECT action FROM audit WHERE report_id = 'r-1'"));
    }

    [PostgresFact]
    public async Task Open_SeveralInstancesAtOnceOnAFreshSchema_ApplyEachMigrationOnce()
    {
        var starts = Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresDatabase.Open(_schema.ConnectionString))).ToArray();

        var databases = await Task.WhenAll(starts);

        foreach (var database in databases)
        {
            await database.DisposeAsync();
        }

        Assert.Equal((long)PostgresMigrations.All.Count, _schema.Scalar("SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal(PostgresMigrations.Latest, _schema.Scalar("SELECT MAX(version) FROM schema_migrations"));
    }

    [PostgresFact]
    public void Open_SchemaNewerThanTheBinary_IsRefusedNamingTheDatabaseAndBothVersionsAndWritesNothing()
    {
        _ = _database.Value;
        _schema.Execute($"INSERT INTO schema_migrations (version, name) VALUES ({PostgresMigrations.Latest + 1}, 'future')");

        var ex = Assert.Throws<StorageException>(() => PostgresDatabase.Open(_schema.ConnectionString));

        Assert.Contains(_schema.Database, ex.Message, StringComparison.Ordinal);
        Assert.Contains(_schema.Name, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"schema version {PostgresMigrations.Latest + 1}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"({PostgresMigrations.Latest})", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal((long)PostgresMigrations.All.Count + 1, _schema.Scalar("SELECT COUNT(*) FROM schema_migrations"));
    }

    [PostgresFact]
    public void Open_LoginRefused_IsRefusedNamingTheServerNeverThePassword()
    {
        const string password = "not-the-password-4f1c";
        var wrong = new NpgsqlConnectionStringBuilder(_schema.ConnectionString) { Password = password };

        var ex = Assert.Throws<StorageException>(() => PostgresDatabase.Open(wrong.ConnectionString));

        Assert.Contains($"{wrong.Host}:{wrong.Port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_schema.Database, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, ex.ToString(), StringComparison.Ordinal);
    }
}
