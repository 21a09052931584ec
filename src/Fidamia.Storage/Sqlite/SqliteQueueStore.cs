using Fidamia.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using static Fidamia.Storage.Sqlite.SqliteReportStore;

namespace Fidamia.Storage.Sqlite;

/// <summary>
/// The queues in the SQLite store. Every change is one immediate transaction: SQLite's single writer is what keeps two
/// consumers (threads, or processes on one file) from leasing the same item. Times come from the process clock, the only
/// clock a one-file store has.
/// </summary>
public sealed class SqliteQueueStore(SqliteReportStore store, IOptions<QueueOptions> options, TimeProvider clock) : IQueueStore
{
    private const string Deliverable = "((state = 'ready' AND visible_at <= $now) OR (state = 'leased' AND lease_expires_at <= $now))";
    private readonly QueueOptions _options = options.Value;

    public async Task<IReadOnlyList<LeasedItem>> LeaseAsync(string queueId, int maxItems, TimeSpan visibility, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var expires = now + visibility;
        await using var write = await store.BeginWriteAsync(cancellationToken);
        var (connection, transaction) = (write.Connection, write.Transaction);
        // Delivered as often as allowed and still not acknowledged: a dead letter, not another delivery.
        await ExecuteAsync(connection, transaction, $"""
            UPDATE queue_items SET state = 'dead', lease_id = NULL, lease_expires_at = NULL
            WHERE queue_id = $queue AND attempts >= $max AND {Deliverable}
            """, cancellationToken, ("$queue", queueId), ("$max", _options.MaxAttempts), ("$now", Time(now)));

        var leased = new List<(string LeaseId, int Attempts, DateTimeOffset EnqueuedAt, string ReportId)>();
        await using (var select = Command(connection, transaction, $"""
            SELECT id, attempts, created_at, report_id FROM queue_items
            WHERE queue_id = $queue AND {Deliverable} ORDER BY id LIMIT $limit
            """, ("$queue", queueId), ("$now", Time(now)), ("$limit", maxItems)))
        await using (var rows = await select.ExecuteReaderAsync(cancellationToken))
        {
            var items = new List<(long Id, int Attempts, string Created, string ReportId)>();
            while (await rows.ReadAsync(cancellationToken))
            {
                items.Add((rows.GetInt64(0), rows.GetInt32(1), rows.GetString(2), rows.GetString(3)));
            }

            foreach (var (id, attempts, created, reportId) in items)
            {
                var leaseId = Guid.NewGuid().ToString("N");
                await ExecuteAsync(connection, transaction, """
                    UPDATE queue_items SET state = 'leased', lease_id = $lease, lease_expires_at = $expires, attempts = attempts + 1
                    WHERE id = $id
                    """, cancellationToken, ("$lease", leaseId), ("$expires", Time(expires)), ("$id", id));
                leased.Add((leaseId, attempts + 1, ParseTime(created), reportId));
            }
        }

        await transaction.CommitAsync(cancellationToken);

        var result = new List<LeasedItem>(leased.Count);
        foreach (var (leaseId, attempts, enqueuedAt, reportId) in leased)
        {
            var report = await FindAsync(connection, null, reportId, cancellationToken)
                ?? throw new StorageException($"Storage: queue item of report '{reportId}' has no report");
            result.Add(new LeasedItem(leaseId, queueId, attempts, enqueuedAt, expires, report));
        }

        return result;
    }

    public async Task<IReadOnlyDictionary<string, LeaseOutcome>> AckAsync(IReadOnlyCollection<string> leaseIds, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var write = await store.BeginWriteAsync(cancellationToken);
        var (connection, transaction) = (write.Connection, write.Transaction);
        var outcomes = new Dictionary<string, LeaseOutcome>(StringComparer.Ordinal);
        foreach (var leaseId in leaseIds.Distinct(StringComparer.Ordinal))
        {
            string? reportId;
            await using (var command = Command(connection, transaction, """
                UPDATE queue_items SET state = 'done', lease_id = NULL, lease_expires_at = NULL
                WHERE lease_id = $lease AND state = 'leased'
                RETURNING report_id
                """, ("$lease", leaseId)))
            {
                reportId = (string?)await command.ExecuteScalarAsync(cancellationToken);
            }

            outcomes[leaseId] = reportId is null ? LeaseOutcome.UnknownLease : LeaseOutcome.Done;
            if (reportId is not null)
            {
                await ExecuteAsync(connection, transaction, """
                    INSERT INTO audit (report_id, at, actor, action, details) VALUES ($id, $at, $actor, 'ack', '')
                    """, cancellationToken, ("$id", reportId), ("$at", Time(now)), ("$actor", actor));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return outcomes;
    }

    public async Task<LeaseOutcome> NackAsync(string leaseId, TimeSpan retryAfter, string reason, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var write = await store.BeginWriteAsync(cancellationToken);
        var (connection, transaction) = (write.Connection, write.Transaction);
        string? reportId;
        await using (var command = Command(connection, transaction, """
            UPDATE queue_items
            SET state = CASE WHEN attempts >= $max THEN 'dead' ELSE 'ready' END,
                visible_at = $visible, lease_id = NULL, lease_expires_at = NULL
            WHERE lease_id = $lease AND state = 'leased'
            RETURNING report_id
            """, ("$max", _options.MaxAttempts), ("$visible", Time(now + retryAfter)), ("$lease", leaseId)))
        {
            reportId = (string?)await command.ExecuteScalarAsync(cancellationToken);
        }

        if (reportId is null)
        {
            return LeaseOutcome.UnknownLease;
        }

        await ExecuteAsync(connection, transaction, """
            INSERT INTO audit (report_id, at, actor, action, details) VALUES ($id, $at, $actor, 'nack', $reason)
            """, cancellationToken, ("$id", reportId), ("$at", Time(now)), ("$actor", actor), ("$reason", reason));
        await transaction.CommitAsync(cancellationToken);
        return LeaseOutcome.Done;
    }

    public async Task<int> RequeueAsync(string queueId, CancellationToken cancellationToken)
    {
        await using var connection = store.Connect();
        return await ExecuteAsync(connection, null, """
            UPDATE queue_items SET state = 'ready', attempts = 0, visible_at = $now WHERE queue_id = $queue AND state = 'dead'
            """, cancellationToken, ("$queue", queueId), ("$now", Time(clock.GetUtcNow())));
    }

    public async Task<IReadOnlyList<QueueStats>> StatsAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = store.Connect();
        await using var command = Command(connection, null, """
            SELECT queue_id,
                SUM(state = 'ready' OR (state = 'leased' AND lease_expires_at <= $now)),
                SUM(state = 'leased' AND lease_expires_at > $now),
                SUM(state = 'dead'),
                MIN(CASE WHEN state = 'ready' OR (state = 'leased' AND lease_expires_at <= $now) THEN created_at END)
            FROM queue_items GROUP BY queue_id ORDER BY queue_id
            """, ("$now", Time(now)));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var stats = new List<QueueStats>();
        while (await rows.ReadAsync(cancellationToken))
        {
            stats.Add(new QueueStats(
                rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2), rows.GetInt64(3), rows.IsDBNull(4) ? null : Age(now - ParseTime(rows.GetString(4)))));
        }

        return stats;
    }

    private static TimeSpan Age(TimeSpan age) => age > TimeSpan.Zero ? age : TimeSpan.Zero;
}
