using System.Collections.Concurrent;
using Fidamia.Core.Storage;
using Fidamia.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Storage;

/// <summary>
/// The queue contract on a real PostgreSQL server, in a schema of its own. The store keeps time by the database's clock,
/// which no test can move: advancing the clock waits it out.
/// </summary>
[RequiresPostgres]
public sealed class PostgresQueueStoreTests : QueueStoreContractTests, IDisposable
{
    private static readonly IOptions<QueueOptions> Settings = Options.Create(new QueueOptions { MaxAttempts = MaxAttempts });

    private readonly PostgresTestSchema _schema = new();
    private readonly PostgresDatabase _database;
    private readonly PostgresReportStore _reports;
    private readonly PostgresQueueStore _queues;

    public PostgresQueueStoreTests()
    {
        _database = PostgresDatabase.Open(_schema.ConnectionString);
        _reports = new PostgresReportStore(_database);
        _queues = new PostgresQueueStore(_database, Settings);
    }

    protected override IReportStore Reports => _reports;

    protected override IQueueStore Queues => _queues;

    protected override DateTimeOffset Now => DateTimeOffset.UtcNow;

    protected override Task AdvanceAsync(TimeSpan time) => Task.Delay(time);

    public void Dispose()
    {
        _database.Dispose();
        _schema.Dispose();
    }

    [PostgresFact]
    public async Task Nack_WritesTheReasonToTheAuditTrail()
    {
        await EnqueueAsync("q-why");
        var item = Assert.Single(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None));

        await Queues.NackAsync(item.LeaseId, TimeSpan.Zero, "team busy", "team", CancellationToken.None);

        Assert.Equal("team busy", _schema.Scalar("SELECT details FROM audit WHERE report_id = 'q-why' AND action = 'nack'"));
    }

    [PostgresFact]
    public async Task Lease_TwoProcessesFromSeveralThreadsEach_NeverShareAnItemAndTogetherDeliverEveryOne()
    {
        // A second database (its own pool, its own connections) stands for a second service instance.
        const int items = 2000;
        await using var otherDatabase = PostgresDatabase.Open(_schema.ConnectionString);
        var stores = new IQueueStore[] { _queues, new PostgresQueueStore(otherDatabase, Settings) };
        await Parallel.ForEachAsync(Enumerable.Range(0, items), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) => await EnqueueAsync($"p-{i:D4}"));

        var leases = new ConcurrentBag<LeasedItem>();
        var consumers = stores.SelectMany(store => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while ((await store.LeaseAsync(Queue, 10, TimeSpan.FromMinutes(5), CancellationToken.None)) is { Count: > 0 } batch)
            {
                foreach (var item in batch)
                {
                    leases.Add(item);
                }
            }
        }))).ToArray();
        await Task.WhenAll(consumers);

        // Every delivery happened under a lease that outlived the test: an item delivered twice was held twice at once.
        Assert.Equal(items, leases.Count);
        Assert.Equal(items, leases.Select(l => l.Report.Report.ReportId).Distinct(StringComparer.Ordinal).Count());
        Assert.All(leases, l => Assert.Equal(1, l.Attempts));
        var acks = await Queues.AckAsync(leases.Select(l => l.LeaseId).ToArray(), "team", CancellationToken.None);
        Assert.Equal(items, acks.Count);
        Assert.All(acks.Values, outcome => Assert.Equal(LeaseOutcome.Done, outcome));
    }
}
