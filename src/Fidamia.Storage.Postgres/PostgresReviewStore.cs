using Fidamia.Core.Duplicates;
using Fidamia.Core.Geo;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Storage;
using Npgsql;
using NpgsqlTypes;
using static Fidamia.Storage.Postgres.PostgresReportStore;

namespace Fidamia.Storage.Postgres;

/// <summary>
/// Review, claims and the duplicate search in PostgreSQL. Claims are timed by the database's <c>now()</c>, as the queues
/// are, so instances whose clocks disagree agree on when a claim expires; a claim and a decision lock the report's row,
/// so two operators on two instances never both win.
/// </summary>
public sealed class PostgresReviewStore(PostgresDatabase database) : IReviewStore
{
    private readonly NpgsqlDataSource _dataSource = database.DataSource;

    public async Task<PendingPage> ListPendingAsync(
        PendingFilter filter, int pageSize, PendingCursor? after, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(filter);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var pageParameters = parameters.Append(("limit", (object?)(pageSize + 1))).ToList();
        var keyset = "";
        if (after is not null)
        {
            keyset = " AND (r.received_at, r.report_id) > (@afterAt, @afterId)";
            pageParameters.Add(("afterAt", Utc(after.ReceivedAt)));
            pageParameters.Add(("afterId", after.ReportId));
        }

        var page = new List<(StoredReport Report, ReviewClaim? Claim)>();
        await using (var command = Command(connection, null, $"""
            SELECT r.report_id, c.operator, c.expires_at, {ReportColumns}
            FROM reports r {CurrentDecision}
            LEFT JOIN review_claims c ON c.report_id = r.report_id AND c.expires_at > now()
            WHERE {where}{keyset} ORDER BY r.received_at, r.report_id LIMIT @limit
            """, [.. pageParameters]))
        await using (var rows = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await rows.ReadAsync(cancellationToken))
            {
                var claim = rows.IsDBNull(1) ? null : new ReviewClaim(rows.GetString(1), rows.GetFieldValue<DateTimeOffset>(2));
                page.Add((Read(rows, 3, rows.GetString(0)), claim));
            }
        }

        var next = page.Count > pageSize ? new PendingCursor(page[pageSize - 1].Report.Report.ReceivedAt, page[pageSize - 1].Report.Report.ReportId) : null;
        await using var counts = Command(connection, null, $"""
            SELECT r.territory, r.commune_insee, r.commune_name, r.current_label, count(*) FROM reports r WHERE {where}
            GROUP BY r.territory, r.commune_insee, r.commune_name, r.current_label
            """, [.. parameters]);
        await using var counted = await counts.ExecuteReaderAsync(cancellationToken);
        return await PendingCounts.ReadAsync(counted, page.Take(pageSize).Select(p => new PendingReport(p.Report, p.Claim)).ToList(), next, cancellationToken);
    }

    public async Task<IReadOnlyList<NearbyReport>> FindNearbyAsync(
        double lat, double lon, double radiusM, DateTimeOffset since, string? excluding, int max, CancellationToken cancellationToken)
    {
        var box = GeoBox.Around(new GeoPoint(lat, lon), radiusM);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT report_id, lat, lon, received_at, current_status, current_label, embedding, embedding_model, photo_hash FROM reports
            WHERE lat BETWEEN @south AND @north AND lon BETWEEN @west AND @east AND received_at >= @since
              AND duplicate_of IS NULL AND report_id <> @excluding
            LIMIT @max
            """, ("south", box.South), ("north", box.North), ("west", box.West), ("east", box.East), ("since", Utc(since)),
            ("excluding", excluding ?? ""), ("max", max));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var nearby = new List<NearbyReport>();
        while (await rows.ReadAsync(cancellationToken))
        {
            nearby.Add(new NearbyReport(
                rows.GetString(0), new GeoPoint(rows.GetDouble(1), rows.GetDouble(2)), rows.GetFieldValue<DateTimeOffset>(3),
                Enum.Parse<TriageStatus>(rows.GetString(4)), rows.IsDBNull(5) ? null : rows.GetString(5),
                rows.IsDBNull(6) ? null : EmbeddingCodec.FromBytes(rows.GetFieldValue<byte[]>(6)), rows.IsDBNull(7) ? null : rows.GetString(7),
                rows.IsDBNull(8) ? null : unchecked((ulong)rows.GetInt64(8))));
        }

        return nearby;
    }

    public async Task<(ClaimOutcome Outcome, ReviewClaim? Claim)> ClaimAsync(
        string reportId, string operatorName, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string? status;
        await using (var command = Command(connection, transaction, "SELECT current_status FROM reports WHERE report_id = @id FOR UPDATE", ("id", reportId)))
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

        if (await FindClaimAsync(connection, transaction, reportId, cancellationToken) is { } held && held.Operator != operatorName)
        {
            return (ClaimOutcome.HeldByOther, held);
        }

        ReviewClaim claim;
        await using (var command = Command(connection, transaction, """
            INSERT INTO review_claims (report_id, operator, claimed_at, expires_at) VALUES (@id, @operator, now(), now() + @duration)
            ON CONFLICT (report_id) DO UPDATE SET operator = excluded.operator, claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
            RETURNING expires_at
            """, ("id", reportId), ("operator", operatorName), ("duration", duration)))
        {
            var expires = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
            claim = new ReviewClaim(operatorName, new DateTimeOffset(DateTime.SpecifyKind(expires, DateTimeKind.Utc)));
        }

        await using (var command = Command(connection, transaction, """
            INSERT INTO audit (report_id, at, actor, action, details) VALUES (@id, now(), @operator, 'claimed', @expires)
            """, ("id", reportId), ("operator", operatorName), ("expires", claim.ExpiresAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture))))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (ClaimOutcome.Claimed, claim);
    }

    public async Task<ReviewClaim?> FindClaimAsync(string reportId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await FindClaimAsync(connection, null, reportId, cancellationToken);
    }

    public async Task<HumanDecisionOutcome> ApplyAsync(HumanDecision human, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string? previousOriginal;
        await using (var command = Command(connection, transaction, """
            SELECT current_status, duplicate_of FROM reports WHERE report_id = @id FOR UPDATE
            """, ("id", human.ReportId)))
        await using (var row = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await row.ReadAsync(cancellationToken) || row.GetString(0) is not (nameof(TriageStatus.NeedsReview) or nameof(TriageStatus.Duplicate)))
            {
                return HumanDecisionOutcome.NotReviewable;
            }

            previousOriginal = row.IsDBNull(1) ? null : row.GetString(1);
        }

        await using (var command = Command(connection, transaction, """
            DELETE FROM review_claims WHERE report_id = @id AND operator = @operator AND expires_at > now()
            """, ("id", human.ReportId), ("operator", human.Operator)))
        {
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return HumanDecisionOutcome.NotClaimed;
            }
        }

        var decision = human.Decision;
        await using (var command = Command(connection, transaction, """
            WITH decision AS (
                INSERT INTO decisions (report_id, source, actor, at, status, label_code, confidence, queue_id, rule, model_name, model_version, details)
                VALUES (@id, @source, @actor, @at, @status, @label, @confidence, @queue, @rule, @model, @version, @details)
                RETURNING id
            ), report AS (
                UPDATE reports SET current_status = @status, current_label = @label, duplicate_of = @duplicateOf WHERE report_id = @id
            ), done AS (
                UPDATE queue_items SET state = 'done', lease_id = NULL, lease_expires_at = NULL
                WHERE report_id = @id AND state IN ('ready', 'leased')
            ), item AS (
                INSERT INTO queue_items (queue_id, report_id, decision_id, state, attempts, visible_at, created_at)
                SELECT @queue, @id, id, 'ready', 0, now(), now() FROM decision WHERE @status = 'Routed'
            ), uncounted AS (
                UPDATE reports SET report_count = report_count - 1 WHERE report_id = @previousOriginal AND @previousOriginal IS DISTINCT FROM @duplicateOf
            ), counted AS (
                UPDATE reports SET report_count = report_count + 1 WHERE report_id = @duplicateOf AND @previousOriginal IS DISTINCT FROM @duplicateOf
            )
            INSERT INTO audit (report_id, at, actor, action, details) VALUES (@id, @at, @operator, @action, @audit)
            """,
            ("id", human.ReportId), ("source", decision.Source.ToString()), ("actor", decision.Actor), ("at", Utc(decision.At)),
            ("label", decision.LabelCode), ("confidence", decision.Confidence),
            ("queue", decision.QueueId), ("rule", decision.Rule), ("model", decision.ModelName), ("version", decision.ModelVersion),
            ("operator", human.Operator), ("action", human.Action), ("audit", human.AuditDetails)))
        {
            command.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Text) { Value = decision.Status.ToString() });
            command.Parameters.Add(new NpgsqlParameter("details", NpgsqlDbType.Jsonb) { Value = DecisionDetails.Serialize(decision) });
            command.Parameters.Add(new NpgsqlParameter("duplicateOf", NpgsqlDbType.Text) { Value = (object?)human.DuplicateOf ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("previousOriginal", NpgsqlDbType.Text) { Value = (object?)previousOriginal ?? DBNull.Value });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (human.Learn is { } learn)
        {
            await PostgresPrototypeStore.InsertAsync(connection, transaction, learn, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return HumanDecisionOutcome.Applied;
    }

    public async Task<IReadOnlyList<HumanOutcome>> ReadHumanOutcomesAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT h.report_id, r.channel, r.declared_category, m.label_code, m.confidence, m.model_name, m.model_version,
                h.label_code, h.status, h.actor, h.at, r.photo_sha256, r.photo_format, r.photo_deleted_at
            FROM decisions h
            JOIN reports r ON r.report_id = h.report_id
            JOIN decisions m ON m.id = (SELECT MIN(id) FROM decisions WHERE report_id = h.report_id)
            WHERE h.source = 'Human' AND h.at >= @since
              AND h.id = (SELECT MAX(id) FROM decisions WHERE report_id = h.report_id)
            ORDER BY h.at, h.id
            """, ("since", Utc(since)));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var outcomes = new List<HumanOutcome>();
        while (await rows.ReadAsync(cancellationToken))
        {
            outcomes.Add(new HumanOutcome(
                rows.GetString(0), (Fidamia.Core.Reports.ReportChannel)rows.GetInt32(1), rows.IsDBNull(2) ? null : rows.GetString(2),
                rows.IsDBNull(3) ? null : rows.GetString(3), rows.GetDouble(4), rows.GetString(5), rows.GetString(6),
                rows.IsDBNull(7) ? null : rows.GetString(7), Enum.Parse<TriageStatus>(rows.GetString(8)), rows.GetString(9),
                rows.GetFieldValue<DateTimeOffset>(10), rows.GetString(11), rows.GetString(12),
                rows.IsDBNull(13) ? null : rows.GetFieldValue<DateTimeOffset>(13)));
        }

        return outcomes;
    }

    private static async Task<ReviewClaim?> FindClaimAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string reportId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            SELECT operator, expires_at FROM review_claims WHERE report_id = @id AND expires_at > now()
            """, ("id", reportId));
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        return await row.ReadAsync(cancellationToken) ? new ReviewClaim(row.GetString(0), row.GetFieldValue<DateTimeOffset>(1)) : null;
    }

    private static (string Where, List<(string Name, object? Value)> Parameters) Where(PendingFilter filter)
    {
        var clauses = new List<string> { "r.current_status = 'NeedsReview'" };
        var parameters = new List<(string Name, object? Value)>();
        if (!string.IsNullOrEmpty(filter.Territory))
        {
            clauses.Add("r.territory = @territory");
            parameters.Add(("territory", filter.Territory));
        }

        if (!string.IsNullOrEmpty(filter.CommuneInsee))
        {
            clauses.Add("r.commune_insee = @insee");
            parameters.Add(("insee", filter.CommuneInsee));
        }

        if (filter.LabelCodes is { } codes)
        {
            clauses.Add("r.current_label = ANY (@labels)");
            parameters.Add(("labels", codes.ToArray()));
        }

        if (filter.ReceivedBefore is { } before)
        {
            clauses.Add("r.received_at < @before");
            parameters.Add(("before", Utc(before)));
        }

        return (string.Join(" AND ", clauses), parameters);
    }
}
