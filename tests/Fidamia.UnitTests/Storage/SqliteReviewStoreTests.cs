using Fidamia.Core.Storage;
using Fidamia.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Storage;

/// <summary>The review contract on a real SQLite file, with a clock the test moves.</summary>
public sealed class SqliteReviewStoreTests : ReviewStoreContractTests, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fidamia-review-").FullName;
    private readonly ManualClock _clock = new();
    private readonly SqliteReportStore _store;

    public SqliteReviewStoreTests()
    {
        _store = SqliteReportStore.Open(Path.Combine(_folder, "fidamia.db"));
        Queues = new SqliteQueueStore(_store, Options.Create(new QueueOptions()), _clock);
        Reviews = new SqliteReviewStore(_store);
        Prototypes = new SqlitePrototypeStore(_store, _clock);
    }

    protected override IReportStore Reports => _store;

    protected override IQueueStore Queues { get; }

    protected override IReviewStore Reviews { get; }

    protected override IPrototypeStore Prototypes { get; }

    protected override DateTimeOffset Now => _clock.GetUtcNow();

    protected override Task AdvanceAsync(TimeSpan time)
    {
        _clock.Advance(time);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
