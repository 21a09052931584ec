using Fidamia.Core.Storage;
using Fidamia.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Storage;

/// <summary>The queue contract on a real SQLite file, with a clock the test moves.</summary>
public sealed class SqliteQueueStoreTests : QueueStoreContractTests, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fidamia-queue-").FullName;
    private readonly ManualClock _clock = new();
    private readonly SqliteReportStore _store;
    private readonly SqliteQueueStore _queues;

    public SqliteQueueStoreTests()
    {
        _store = SqliteReportStore.Open(Path.Combine(_folder, "fidamia.db"));
        _queues = new SqliteQueueStore(_store, Options.Create(new QueueOptions { MaxAttempts = MaxAttempts }), _clock);
    }

    protected override IReportStore Reports => _store;

    protected override IQueueStore Queues => _queues;

    protected override DateTimeOffset Now => _clock.GetUtcNow();

    protected override Task AdvanceAsync(TimeSpan time)
    {
        _clock.Advance(time);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Lease_TwoStoresOnOneFile_NeverShareAnItem()
    {
        // Two stores on one file stand for two processes: SQLite's single writer serialises their leases.
        var other = new SqliteQueueStore(SqliteReportStore.Open(_store.Path), Options.Create(new QueueOptions { MaxAttempts = MaxAttempts }), _clock);
        for (var i = 0; i < 200; i++)
        {
            await EnqueueAsync($"two-{i:D3}");
        }

        async Task<List<string>> DrainAsync(IQueueStore queues)
        {
            var got = new List<string>();
            while ((await queues.LeaseAsync(Queue, 5, TimeSpan.FromMinutes(5), CancellationToken.None)) is { Count: > 0 } batch)
            {
                got.AddRange(batch.Select(b => b.Report.Report.ReportId));
            }

            return got;
        }

        var results = await Task.WhenAll(Task.Run(() => DrainAsync(_queues)), Task.Run(() => DrainAsync(other)));

        Assert.Equal(200, results.Sum(r => r.Count));
        Assert.Empty(results[0].Intersect(results[1], StringComparer.Ordinal));
    }
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan time) => _now += time;
}
