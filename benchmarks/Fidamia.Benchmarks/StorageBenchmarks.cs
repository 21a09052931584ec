using BenchmarkDotNet.Attributes;
using Fidamia.Core.Location;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Storage;
using Fidamia.Storage.Postgres;
using Fidamia.Storage.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fidamia.Benchmarks;

/// <summary>
/// What the store adds to a report: storing one decision (report, decision, queue item and audit entry in one
/// transaction) and leasing then acknowledging one item, on SQLite (a file in a fresh temporary folder, WAL, default
/// durability) and on PostgreSQL when <c>FIDAMIA_POSTGIS</c> names a server (a schema of its own, dropped after). The
/// baseline is SQLite's store. Read them beside the hot path's own figures (StageBenchmarks: the inference alone is
/// tens of milliseconds).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TrendRatioConfig))]
public class StorageBenchmarks
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fidamia-bench-store-").FullName;
    private IReportStore _reports = null!;
    private IQueueStore _queues = null!;
    private PostgresDatabase? _postgres;
    private string? _schema;
    private long _next;

    public static IEnumerable<string> Providers =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FIDAMIA_POSTGIS")) ? ["sqlite"] : ["sqlite", "postgres"];

    [ParamsSource(nameof(Providers))]
    public string Provider { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        var queueOptions = Options.Create(new QueueOptions());
        if (Provider == "sqlite")
        {
            var store = SqliteReportStore.Open(Path.Combine(_folder, "fidamia.db"));
            (_reports, _queues) = (store, new SqliteQueueStore(store, queueOptions, TimeProvider.System));
            return;
        }

        var server = Environment.GetEnvironmentVariable("FIDAMIA_POSTGIS")!;
        _schema = $"bench_{Guid.NewGuid():N}";
        Execute(server, $"CREATE SCHEMA {_schema}");
        _postgres = PostgresDatabase.Open(new NpgsqlConnectionStringBuilder(server) { SearchPath = _schema }.ConnectionString);
        (_reports, _queues) = (new PostgresReportStore(_postgres), new PostgresQueueStore(_postgres, queueOptions));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _postgres?.Dispose();
        if (_schema is not null)
        {
            Execute(Environment.GetEnvironmentVariable("FIDAMIA_POSTGIS")!, $"DROP SCHEMA {_schema} CASCADE");
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "store one decision")]
    public Task<StoredReport?> StoreDecision() => AddAsync("benchmark-queue");

    [Benchmark(Description = "store, then lease and ack one item")]
    public async Task<LeaseOutcome> StoreLeaseAck()
    {
        var queue = $"q-{Interlocked.Increment(ref _next)}";
        await AddAsync(queue);
        var item = (await _queues.LeaseAsync(queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None))[0];
        return (await _queues.AckAsync([item.LeaseId], "benchmark", CancellationToken.None))[item.LeaseId];
    }

    private Task<StoredReport?> AddAsync(string queue)
    {
        var id = $"bench-{Interlocked.Increment(ref _next)}";
        var now = DateTimeOffset.UtcNow;
        return _reports.AddAsync(
            new ReportRecord
            {
                ReportId = id, Fingerprint = new byte[32], ReceivedAt = now, Lat = 43.2965, Lon = 5.3698, Channel = ReportChannel.App,
                PhotoSha256 = new string('a', 64), PhotoFormat = "jpeg", PhotoWidth = 4000, PhotoHeight = 3000,
            },
            new DecisionRecord
            {
                Source = DecisionSource.Model, Actor = "resnet18/1", At = now, Status = TriageStatus.Routed, LabelCode = "graffiti",
                Confidence = 0.91, Candidates = [new LabelScore("graffiti", 0.91), new LabelScore("salissure", 0.05)],
                QueueId = queue, QueueName = queue, Rule = "famille-territoire", ModelName = "resnet18", ModelVersion = "1",
                Context = new LocationContext(new CommuneRef("13055", "Marseille"), "Marseille Provence") { Matches = ["communes: 13055 Marseille"] },
                Explanation = ["image: closest to 'graffiti'", "decision: 'graffiti' at 0.91 >= threshold 0.80", "queue: proprete-marseille-provence"],
            },
            CancellationToken.None);
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
