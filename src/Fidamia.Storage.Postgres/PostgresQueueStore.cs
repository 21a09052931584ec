using Fidamia.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using static Fidamia.Storage.Postgres.PostgresReportStore;

namespace Fidamia.Storage.Postgres;

/// <summary>
/// The queues in PostgreSQL, for consumers in several service instances. A lease locks the rows it takes with
/// <c>FOR UPDATE SKIP LOCKED</c>, so concurrent leases, in any process, pass over each other's rows instead of waiting
/// for them or taking them twice. Every time (enqueued, visible, lease expiry) is the database's <c>now()</c>, not a
/// process clock: instances whose clocks disagree then agree on when a lease expires.
/// </summary>
public sealed class PostgresQueueStore(PostgresDatabase database, IOptions<QueueOptions> options) : IQueueStore
{
    private const string Deliverable = "((state = 'ready' AND visible_at <= now()) OR (state = 'leased' AND lease_expires_at <= now()))";
    private readonly NpgsqlDataSource _dataSource = database.DataSource;
    private readonly QueueOptions _options = options.Value;

    public async Task<IReadOnlyList<LeasedItem>> LeaseAsync(string queueId, int maxItems, TimeSpan visibility, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Delivered as often as allowed and still not acknowledged: a dead letter, not another delivery.
        await using (var dead = Command(connection, transaction, $"""
            UPDATE queue_items SET state = 'dead', lease_id = NULL, lease_expires_at = NULL
            WHERE id IN (
                SELECT id FROM queue_items
                WHERE queue_id = @queue AND state IN ('ready', 'leased') AND attempts >= @max AND {Deliverable}
                FOR UPDATE SKIP LOCKED)
            """, ("queue", queueId), ("max", _options.MaxAttempts)))
        {
            await dead.ExecuteNonQueryAsync(cancellationToken);
        }

        // Rows another lease holds locked are skipped; a row another lease changed and committed since this statement's
        // snapshot is checked again against the condition, so a row just leased elsewhere is not taken.
        var leased = new List<LeasedItem>();
        await using (var lease = Command(connection, transaction, $"""
            WITH picked AS (
                SELECT id FROM queue_items
                WHERE queue_id = @queue AND state IN ('ready', 'leased') AND attempts < @max AND {Deliverable}
                ORDER BY id LIMIT @limit
                FOR UPDATE SKIP LOCKED
            ), item AS (
                UPDATE queue_items q
                SET state = 'leased', lease_id = replace(gen_random_uuid()::text, '-', ''),
                    lease_expires_at = now() + @visibility, attempts = q.attempts + 1
                FROM picked WHERE q.id = picked.id
                RETURNING q.id, q.lease_id, q.attempts, q.created_at, q.lease_expires_at, q.report_id
            )
            SELECT item.id, item.lease_id, item.attempts, item.created_at, item.lease_expires_at, item.report_id, {ReportColumns}
            FROM item JOIN reports r ON r.report_id = item.report_id {CurrentDecision}
            ORDER BY item.id
            """, ("queue", queueId), ("max", _options.MaxAttempts), ("limit", maxItems), ("visibility", visibility)))
        await using (var row = await lease.ExecuteReaderAsync(cancellationToken))
        {
            while (await row.ReadAsync(cancellationToken))
            {
                var reportId = row.GetString(5);
                leased.Add(new LeasedItem(
                    row.GetString(1), queueId, row.GetInt32(2), row.GetFieldValue<DateTimeOffset>(3), row.GetFieldValue<DateTimeOffset>(4),
                    Read(row, 6, reportId)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return leased;
    }

    public async Task<IReadOnlyDictionary<string, LeaseOutcome>> AckAsync(IReadOnlyCollection<string> leaseIds, string actor, CancellationToken cancellationToken)
    {
        var distinct = leaseIds.Distinct(StringComparer.Ordinal).ToArray();
        var outcomes = distinct.ToDictionary(id => id, _ => LeaseOutcome.UnknownLease, StringComparer.Ordinal);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            WITH acked AS (
                UPDATE queue_items q SET state = 'done', lease_id = NULL, lease_expires_at = NULL
                FROM unnest(@leases) AS given(lease_id)
                WHERE q.lease_id = given.lease_id AND q.state = 'leased'
                RETURNING given.lease_id, q.report_id
            ), logged AS (
                INSERT INTO audit (report_id, at, actor, action, details) SELECT report_id, now(), @actor, 'ack', '' FROM acked
            )
            SELECT lease_id FROM acked
            """, ("leases", distinct), ("actor", actor));
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        while (await row.ReadAsync(cancellationToken))
        {
            outcomes[row.GetString(0)] = LeaseOutcome.Done;
        }

        return outcomes;
    }

    public async Task<LeaseOutcome> NackAsync(string leaseId, TimeSpan retryAfter, string reason, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            WITH item AS (
                UPDATE queue_items
                SET state = CASE WHEN attempts >= @max THEN 'dead' ELSE 'ready' END,
                    visible_at = now() + @retryAfter, lease_id = NULL, lease_expires_at = NULL
                WHERE lease_id = @lease AND state = 'leased'
                RETURNING report_id
            )
            INSERT INTO audit (report_id, at, actor, action, details) SELECT report_id, now(), @actor, 'nack', @reason FROM item
            """, ("max", _options.MaxAttempts), ("retryAfter", retryAfter), ("lease", leaseId), ("actor", actor), ("reason", reason));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? LeaseOutcome.Done : LeaseOutcome.UnknownLease;
    }

    public async Task<int> RequeueAsync(string queueId, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            UPDATE queue_items SET state = 'ready', attempts = 0, visible_at = now() WHERE queue_id = @queue AND state = 'dead'
            """, ("queue", queueId));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<QueueStats>> StatsAsync(CancellationToken cancellationToken)
    {
        const string waiting = "state = 'ready' OR (state = 'leased' AND lease_expires_at <= now())";
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, $"""
            SELECT queue_id,
                count(*) FILTER (WHERE {waiting}),
                count(*) FILTER (WHERE state = 'leased' AND lease_expires_at > now()),
                count(*) FILTER (WHERE state = 'dead'),
                greatest(extract(epoch FROM now() - min(created_at) FILTER (WHERE {waiting})), 0)::float8
            FROM queue_items GROUP BY queue_id ORDER BY queue_id
            """);
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        var stats = new List<QueueStats>();
        while (await row.ReadAsync(cancellationToken))
        {
            stats.Add(new QueueStats(
                row.GetString(0), row.GetInt64(1), row.GetInt64(2), row.GetInt64(3),
                row.IsDBNull(4) ? null : TimeSpan.FromSeconds(row.GetDouble(4))));
        }

        return stats;
    }
}
