using Fidamia.Core.Storage;
using Fidamia.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Storage;

/// <summary>The review contract on a real PostgreSQL server, in a schema of its own; its claims keep the database's time.</summary>
[RequiresPostgres]
public sealed class PostgresReviewStoreTests : ReviewStoreContractTests, IDisposable
{
    private readonly PostgresTestSchema _schema = new();
    private readonly PostgresDatabase _database;

    public PostgresReviewStoreTests()
    {
        _database = PostgresDatabase.Open(_schema.ConnectionString);
        Reports = new PostgresReportStore(_database);
        Queues = new PostgresQueueStore(_database, Options.Create(new QueueOptions()));
        Reviews = new PostgresReviewStore(_database);
        Prototypes = new PostgresPrototypeStore(_database);
    }

    protected override IReportStore Reports { get; }

    protected override IQueueStore Queues { get; }

    protected override IReviewStore Reviews { get; }

    protected override IPrototypeStore Prototypes { get; }

    protected override DateTimeOffset Now => DateTimeOffset.UtcNow;

    protected override Task AdvanceAsync(TimeSpan time) => Task.Delay(time);

    public void Dispose()
    {
        _database.Dispose();
        _schema.Dispose();
    }
}
