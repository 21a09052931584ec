using Fidamia.Core.Duplicates;
using Fidamia.Core.Geo;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Storage;
using Microsoft.Data.Sqlite;
using static Fidamia.Storage.Sqlite.SqliteReportStore;

namespace Fidamia.Storage.Sqlite;

/// <summary>Review, claims and the duplicate search in the SQLite store; every change is one immediate transaction.</summary>
public sealed class SqliteReviewStore(SqliteReportStore store) : IReviewStore
{
    private const string Pending = "current_status = 'NeedsReview'";

    public async Task<PendingPage> ListPendingAsync(
        PendingFilter filter, int pageSize, PendingCursor? after, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(filter);
        await using var connection = store.Connect();
        var page = new List<(string Id, string Received)>();
        var pageParameters = parameters.Concat([("$limit", (object?)(pageSize + 1))]).ToList();
        var keyset = "";
        if (after is not null)
        {
            keyset = " AND (received_at > $afterAt OR (received_at = $afterAt AND report_id > $afterId))";
            pageParameters.Add(("$afterAt", Time(after.ReceivedAt)));
            pageParameters.Add(("$afterId", after.ReportId));
        }

        await using (var command = Command(connection, null, $"""
            SELECT report_id, received_at FROM reports WHERE {where}{keyset} ORDER BY received_at, report_id LIMIT $limit
            """, [.. pageParameters]))
        await using (var rows = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await rows.ReadAsync(cancellationToken))
            {
                page.Add((rows.GetString(0), rows.GetString(1)));
            }
        }

        var next = page.Count > pageSize ? new PendingCursor(ParseTime(page[pageSize - 1].Received), page[pageSize - 1].Id) : null;
        var reports = new List<PendingReport>();
        foreach (var (id, _) in page.Take(pageSize))
        {
            var stored = await FindAsync(connection, null, id, cancellationToken);
            if (stored is not null)
            {
                reports.Add(new PendingReport(stored, await FindClaimAsync(connection, id, now, cancellationToken)));
            }
        }

        await using var counts = Command(connection, null, $"""
            SELECT territory, commune_insee, commune_name, current_label, COUNT(*) FROM reports WHERE {where}
            GROUP BY territory, commune_insee, commune_name, current_label
            """, [.. parameters]);
        await using var counted = await counts.ExecuteReaderAsync(cancellationToken);
        return await PendingCounts.ReadAsync(counted, reports, next, cancellationToken);
    }

    public async Task<IReadOnlyList<NearbyReport>> FindNearbyAsync(
        double lat, double lon, double radiusM, DateTimeOffset since, string? excluding, int max, CancellationToken cancellationToken)
    {
        var box = GeoBox.Around(new GeoPoint(lat, lon), radiusM);
        await using var connection = store.Connect();
        await using var command = Command(connection, null, """
            SELECT report_id, lat, lon, received_at, current_status, current_label, embedding, embedding_model, photo_hash FROM reports
            WHERE lat BETWEEN $south AND $north AND lon BETWEEN $west AND $east AND received_at >= $since
              AND duplicate_of IS NULL AND report_id <> $excluding
            LIMIT $max
            """, ("$south", box.South), ("$north", box.North), ("$west", box.West), ("$east", box.East), ("$since", Time(since)),
            ("$excluding", excluding ?? ""), ("$max", max));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var nearby = new List<NearbyReport>();
        while (await rows.ReadAsync(cancellationToken))
        {
            nearby.Add(new NearbyReport(
                rows.GetString(0), new GeoPoint(rows.GetDouble(1), rows.GetDouble(2)), ParseTime(rows.GetString(3)),
                Enum.Parse<TriageStatus>(rows.GetString(4)), rows.IsDBNull(5) ? null : rows.GetString(5),
                rows.IsDBNull(6) ? null : EmbeddingCodec.FromBytes((byte[])rows[6]), rows.IsDBNull(7) ? null : rows.GetString(7),
                rows.IsDBNull(8) ? null : unchecked((ulong)rows.GetInt64(8))));
        }

        return nearby;
    }

    public async Task<(ClaimOutcome Outcome, ReviewClaim? Claim)> ClaimAsync(
        string reportId, string operatorName, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var write = await store.BeginWriteAsync(cancellationToken);
        var (connection, transaction) = (write.Connection, write.Transaction);
        string? status;
        await using (var command = Command(connection, transaction, "SELECT current_status FROM reports WHERE report_id = $id", ("$id", reportId)))
        {
            status = (string?)await command.ExecuteScalarAsync(cancellationToken);
        }

        if (status is null)
        {
            return (ClaimOutcome.NotFound, null);
        }

        if (status is not (nameof(TriageStatus.NeedsReview) or nameof(TriageStatus.Duplicate)))
        {
            return (ClaimOutcome.NotReviewable, null);
        }

        if (await FindClaimAsync(connection, reportId, now, cancellationToken, transaction) is { } held && held.Operator != operatorName)
        {
            return (ClaimOutcome.HeldByOther, held);
        }

        var claim = new ReviewClaim(operatorName, now + duration);
        await ExecuteAsync(connection, transaction, """
            INSERT INTO review_claims (report_id, operator, claimed_at, expires_at) VALUES ($id, $operator, $now, $expires)
            ON CONFLICT (report_id) DO UPDATE SET operator = excluded.operator, claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
            """, cancellationToken, ("$id", reportId), ("$operator", operatorName), ("$now", Time(now)), ("$expires", Time(claim.ExpiresAt)));
        await ExecuteAsync(connection, transaction, """
            INSERT INTO audit (report_id, at, actor, action, details) VALUES ($id, $now, $operator, 'claimed', $expires)
            """, cancellationToken, ("$id", reportId), ("$operator", operatorName), ("$now", Time(now)), ("$expires", Time(claim.ExpiresAt)));
        await transaction.CommitAsync(cancellationToken);
        return (ClaimOutcome.Claimed, claim);
    }

    public async Task<ReviewClaim?> FindClaimAsync(string reportId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = store.Connect();
        return await FindClaimAsync(connection, reportId, now, cancellationToken);
    }

    public async Task<HumanDecisionOutcome> ApplyAsync(HumanDecision human, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var write = await store.BeginWriteAsync(cancellationToken);
        var (connection, transaction) = (write.Connection, write.Transaction);
        string? previousOriginal;
        await using (var command = Command(connection, transaction, """
            SELECT duplicate_of FROM reports WHERE report_id = $id AND current_status IN ('NeedsReview', 'Duplicate')
            """, ("$id", human.ReportId)))
        await using (var row = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await row.ReadAsync(cancellationToken))
            {
                return HumanDecisionOutcome.NotReviewable;
            }

            previousOriginal = row.IsDBNull(0) ? null : row.GetString(0);
        }

        var released = await ExecuteAsync(connection, transaction, """
            DELETE FROM review_claims WHERE report_id = $id AND operator = $operator AND expires_at > $now
            """, cancellationToken, ("$id", human.ReportId), ("$operator", human.Operator), ("$now", Time(now)));
        if (released == 0)
        {
            return HumanDecisionOutcome.NotClaimed;
        }

        var decision = human.Decision;
        var decisionId = await InsertDecisionAsync(connection, transaction, human.ReportId, decision, cancellationToken);
        await ExecuteAsync(connection, transaction, """
            UPDATE reports SET current_status = $status, current_label = $label, duplicate_of = $duplicateOf WHERE report_id = $id
            """, cancellationToken, ("$status", decision.Status.ToString()), ("$label", decision.LabelCode),
            ("$duplicateOf", human.DuplicateOf), ("$id", human.ReportId));

        // The review item is done whoever held it; a routed decision gets an item in its team's queue.
        await ExecuteAsync(connection, transaction, """
            UPDATE queue_items SET state = 'done', lease_id = NULL, lease_expires_at = NULL
            WHERE report_id = $id AND state IN ('ready', 'leased')
            """, cancellationToken, ("$id", human.ReportId));
        if (decision.Status == TriageStatus.Routed)
        {
            await ExecuteAsync(connection, transaction, """
                INSERT INTO queue_items (queue_id, report_id, decision_id, state, attempts, visible_at, created_at)
                VALUES ($queue, $id, $decision, 'ready', 0, $at, $at)
                """, cancellationToken, ("$queue", decision.QueueId), ("$id", human.ReportId), ("$decision", decisionId), ("$at", Time(decision.At)));
        }

        if (previousOriginal != human.DuplicateOf)
        {
            await ExecuteAsync(connection, transaction, "UPDATE reports SET report_count = report_count - 1 WHERE report_id = $id",
                cancellationToken, ("$id", previousOriginal));
            await ExecuteAsync(connection, transaction, "UPDATE reports SET report_count = report_count + 1 WHERE report_id = $id",
                cancellationToken, ("$id", human.DuplicateOf));
        }

        await ExecuteAsync(connection, transaction, """
            INSERT INTO audit (report_id, at, actor, action, details) VALUES ($id, $at, $operator, $action, $details)
            """, cancellationToken, ("$id", human.ReportId), ("$at", Time(decision.At)), ("$operator", human.Operator),
            ("$action", human.Action), ("$details", human.AuditDetails));
        if (human.Learn is { } learn)
        {
            await SqlitePrototypeStore.InsertAsync(connection, transaction, learn, now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return HumanDecisionOutcome.Applied;
    }

    public async Task<IReadOnlyList<HumanOutcome>> ReadHumanOutcomesAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = store.Connect();
        await using var command = Command(connection, null, """
            SELECT h.report_id, r.channel, r.declared_category, m.label_code, m.confidence, m.model_name, m.model_version,
                h.label_code, h.status, h.actor, h.at, r.photo_sha256, r.photo_format, r.photo_deleted_at
            FROM decisions h
            JOIN reports r ON r.report_id = h.report_id
            JOIN decisions m ON m.id = (SELECT MIN(id) FROM decisions WHERE report_id = h.report_id)
            WHERE h.source = 'Human' AND h.at >= $since
              AND h.id = (SELECT MAX(id) FROM decisions WHERE report_id = h.report_id)
            ORDER BY h.at, h.id
            """, ("$since", Time(since)));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var outcomes = new List<HumanOutcome>();
        while (await rows.ReadAsync(cancellationToken))
        {
            outcomes.Add(new HumanOutcome(
                rows.GetString(0), (Fidamia.Core.Reports.ReportChannel)rows.GetInt32(1), rows.IsDBNull(2) ? null : rows.GetString(2),
                rows.IsDBNull(3) ? null : rows.GetString(3), rows.GetDouble(4), rows.GetString(5), rows.GetString(6),
                rows.IsDBNull(7) ? null : rows.GetString(7), Enum.Parse<TriageStatus>(rows.GetString(8)), rows.GetString(9), ParseTime(rows.GetString(10)),
                rows.GetString(11), rows.GetString(12), rows.IsDBNull(13) ? null : ParseTime(rows.GetString(13))));
        }

        return outcomes;
    }

    private static async Task<ReviewClaim?> FindClaimAsync(
        SqliteConnection connection, string reportId, DateTimeOffset now, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        await using var command = Command(connection, transaction, """
            SELECT operator, expires_at FROM review_claims WHERE report_id = $id AND expires_at > $now
            """, ("$id", reportId), ("$now", Time(now)));
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        return await row.ReadAsync(cancellationToken) ? new ReviewClaim(row.GetString(0), ParseTime(row.GetString(1))) : null;
    }

    private static (string Where, List<(string Name, object? Value)> Parameters) Where(PendingFilter filter)
    {
        var clauses = new List<string> { Pending };
        var parameters = new List<(string Name, object? Value)>();
        if (!string.IsNullOrEmpty(filter.Territory))
        {
            clauses.Add("territory = $territory");
            parameters.Add(("$territory", filter.Territory));
        }

        if (!string.IsNullOrEmpty(filter.CommuneInsee))
        {
            clauses.Add("commune_insee = $insee");
            parameters.Add(("$insee", filter.CommuneInsee));
        }

        if (filter.LabelCodes is { } codes)
        {
            var names = codes.Select((c, i) => $"$label{i}").ToList();
            clauses.Add(names.Count == 0 ? "0" : $"current_label IN ({string.Join(", ", names)})");
            parameters.AddRange(codes.Select((c, i) => ($"$label{i}", (object?)c)));
        }

        if (filter.ReceivedBefore is { } before)
        {
            clauses.Add("received_at < $before");
            parameters.Add(("$before", Time(before)));
        }

        return (string.Join(" AND ", clauses), parameters);
    }
}
