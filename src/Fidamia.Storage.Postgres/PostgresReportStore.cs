using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Fidamia.Storage.Postgres;

/// <summary>
/// Reports in PostgreSQL, for several instances on one database. A report, its decision, its queue item and its audit
/// entry are one transaction; a report id is taken by the primary key, so of two instances adding the same id one writes
/// and the other waits for its commit, then reads what it stored.
/// </summary>
public sealed class PostgresReportStore(PostgresDatabase database) : IReportStore
{
    /// <summary>A report's columns (<c>r</c>) and its current decision's (<c>d</c>), in <see cref="Read"/>'s order.</summary>
    internal const string ReportColumns = """
        r.fingerprint, r.received_at, r.lat, r.lon, r.accuracy_m, r.declared_category, r.description, r.channel, r.reported_at,
        r.photo_sha256, r.photo_format, r.photo_width, r.photo_height, r.exif_lat, r.exif_lon, r.taken_at,
        r.photo_orientation, r.photo_deleted_at, r.embedding, r.embedding_model, r.photo_hash, r.duplicate_of, r.report_count,
        d.source, d.actor, d.at, d.status, d.label_code, d.confidence, d.queue_id, d.rule, d.model_name, d.model_version, d.details
        """;

    /// <summary>The report <c>r</c>'s current decision, <c>d</c>: the newest, so a person's later decision wins over the model's.</summary>
    internal const string CurrentDecision =
        "LEFT JOIN LATERAL (SELECT * FROM decisions WHERE report_id = r.report_id ORDER BY id DESC LIMIT 1) d ON true";

    private readonly NpgsqlDataSource _dataSource = database.DataSource;

    public async Task<StoredReport?> FindAsync(string reportId, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await FindAsync(connection, reportId, cancellationToken);
    }

    public async Task<StoredReport?> AddAsync(ReportRecord report, DecisionRecord decision, CancellationToken cancellationToken)
    {
        // One statement, so one round trip and one implicit transaction: the report, then (only if its id was free) the
        // decision, the queue item, which needs the decision's id, and the audit entry. The item is enqueued and visible at
        // the database's now(), the clock every queue time is measured by (PostgresQueueStore).
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var insert = Command(connection, null, """
            WITH report AS (
                INSERT INTO reports (report_id, fingerprint, received_at, lat, lon, accuracy_m, declared_category, description, channel,
                    reported_at, photo_sha256, photo_format, photo_width, photo_height, exif_lat, exif_lon, taken_at, photo_orientation,
                    current_status, current_label, territory, commune_insee, commune_name, embedding, embedding_model, photo_hash, duplicate_of)
                VALUES (@id, @fingerprint, @received, @lat, @lon, @accuracy, @declared, @description, @channel,
                    @reported, @sha, @format, @width, @height, @exifLat, @exifLon, @taken, @orientation,
                    @status, @label, @territory, @insee, @commune, @embedding, @embeddingModel, @hash, @duplicateOf)
                ON CONFLICT (report_id) DO NOTHING
                RETURNING report_id
            ), decision AS (
                INSERT INTO decisions (report_id, source, actor, at, status, label_code, confidence, queue_id, rule, model_name, model_version, details)
                SELECT report_id, @source, @actor, @at, @status, @label, @confidence, @queue, @rule, @model, @version, @details FROM report
                RETURNING id, report_id
            ), item AS (
                -- A duplicate has no item of its own: it is one more report of the original's problem.
                INSERT INTO queue_items (queue_id, report_id, decision_id, state, attempts, visible_at, created_at)
                SELECT @queue, report_id, id, 'ready', 0, now(), now() FROM decision WHERE @duplicateOf IS NULL
            ), counted AS (
                UPDATE reports SET report_count = report_count + 1 WHERE report_id = @duplicateOf AND EXISTS (SELECT 1 FROM report)
            ), audit AS (
                INSERT INTO audit (report_id, at, actor, action, details) SELECT report_id, @at, @actor, 'triaged', @audit FROM report
            )
            SELECT count(*) FROM report
            """,
            ("id", report.ReportId), ("fingerprint", report.Fingerprint), ("received", Utc(report.ReceivedAt)),
            ("lat", report.Lat), ("lon", report.Lon), ("accuracy", report.AccuracyM), ("declared", report.DeclaredCategory),
            ("description", report.Description), ("channel", (int)report.Channel), ("reported", Utc(report.ReportedAt)),
            ("sha", report.PhotoSha256), ("format", report.PhotoFormat), ("width", report.PhotoWidth), ("height", report.PhotoHeight),
            ("exifLat", report.ExifLat), ("exifLon", report.ExifLon), ("taken", Utc(report.TakenAt)),
            ("orientation", report.PhotoOrientation),
            ("source", decision.Source.ToString()), ("actor", decision.Actor), ("at", Utc(decision.At)),
            ("status", decision.Status.ToString()), ("label", decision.LabelCode), ("confidence", decision.Confidence),
            ("queue", decision.QueueId), ("rule", decision.Rule), ("model", decision.ModelName), ("version", decision.ModelVersion),
            ("audit", report.DuplicateOf is { } of ? $"Duplicate of {of}" : $"{decision.Status} to {decision.QueueId}"),
            ("territory", decision.Context.Territory),
            ("insee", decision.Context.Commune.Insee), ("commune", decision.Context.Commune.Name),
            ("embeddingModel", report.EmbeddingModel), ("hash", report.PhotoHash is { } h ? unchecked((long)h) : null)))
        {
            insert.Parameters.Add(new NpgsqlParameter("details", NpgsqlDbType.Jsonb) { Value = DecisionDetails.Serialize(decision) });
            insert.Parameters.Add(new NpgsqlParameter("duplicateOf", NpgsqlDbType.Text) { Value = (object?)report.DuplicateOf ?? DBNull.Value });
            insert.Parameters.Add(new NpgsqlParameter("embedding", NpgsqlDbType.Bytea)
            {
                Value = report.Embedding is { } e ? EmbeddingCodec.ToBytes(e) : DBNull.Value,
            });
            if (Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 1)
            {
                return null;
            }
        }

        // The id is taken, and the row that took it is committed (the insert waited for it): read it back.
        return await FindAsync(connection, report.ReportId, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> FindExpiredPhotosAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT DISTINCT r.photo_sha256 FROM reports r
            WHERE r.photo_deleted_at IS NULL AND r.received_at < @cutoff
              AND NOT EXISTS (SELECT 1 FROM reports n WHERE n.photo_sha256 = r.photo_sha256 AND n.received_at >= @cutoff)
            LIMIT @max
            """, ("cutoff", Utc(cutoff)), ("max", max));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var photos = new List<string>();
        while (await rows.ReadAsync(cancellationToken))
        {
            photos.Add(rows.GetString(0));
        }

        return photos;
    }

    public async Task<IReadOnlyList<ReceivedReport>> ListReceivedAsync(DateTimeOffset since, ReceivedReport? after, int max, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT received_at, report_id FROM reports
            WHERE received_at >= @since AND (@afterAt::timestamptz IS NULL OR (received_at, report_id) > (@afterAt, @afterId))
            ORDER BY received_at, report_id
            LIMIT @max
            """, ("since", Utc(since)), ("afterAt", Utc(after?.ReceivedAt)), ("afterId", after?.ReportId), ("max", max));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var page = new List<ReceivedReport>();
        while (await rows.ReadAsync(cancellationToken))
        {
            page.Add(new ReceivedReport(rows.GetFieldValue<DateTimeOffset>(0), rows.GetString(1)));
        }

        return page;
    }

    public async Task<long> CountReceivedAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT count(*) FROM reports WHERE received_at >= @since", ("since", Utc(since)));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<int> MarkPhotoDeletedAsync(string photoSha256, DateTimeOffset cutoff, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            WITH marked AS (
                UPDATE reports SET photo_deleted_at = @at
                WHERE photo_sha256 = @sha AND photo_deleted_at IS NULL AND received_at < @cutoff
                RETURNING report_id
            ), audited AS (
                INSERT INTO audit (report_id, at, actor, action, details)
                SELECT report_id, @at, 'retention', 'photo_deleted', @sha FROM marked
            )
            SELECT count(*) FROM marked
            """, ("at", Utc(at)), ("sha", photoSha256), ("cutoff", Utc(cutoff)));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static async Task<StoredReport?> FindAsync(NpgsqlConnection connection, string reportId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, $"""
            SELECT {ReportColumns} FROM reports r {CurrentDecision} WHERE r.report_id = @id
            """, ("id", reportId));
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        return await row.ReadAsync(cancellationToken) ? Read(row, 0, reportId) : null;
    }

    /// <summary>A report and its decision, selected as <see cref="ReportColumns"/> from <paramref name="first"/> on.</summary>
    internal static StoredReport Read(NpgsqlDataReader row, int first, string reportId)
    {
        var i = first;
        var report = new ReportRecord
        {
            ReportId = reportId,
            Fingerprint = row.GetFieldValue<byte[]>(i),
            ReceivedAt = row.GetFieldValue<DateTimeOffset>(i + 1),
            Lat = row.GetDouble(i + 2),
            Lon = row.GetDouble(i + 3),
            AccuracyM = row.GetDouble(i + 4),
            DeclaredCategory = Nullable<string>(row, i + 5),
            Description = Nullable<string>(row, i + 6),
            Channel = (ReportChannel)row.GetInt32(i + 7),
            ReportedAt = NullableValue<DateTimeOffset>(row, i + 8),
            PhotoSha256 = row.GetString(i + 9),
            PhotoFormat = row.GetString(i + 10),
            PhotoWidth = row.GetInt32(i + 11),
            PhotoHeight = row.GetInt32(i + 12),
            ExifLat = NullableValue<double>(row, i + 13),
            ExifLon = NullableValue<double>(row, i + 14),
            TakenAt = NullableValue<DateTimeOffset>(row, i + 15),
            PhotoOrientation = row.GetInt32(i + 16),
            PhotoDeletedAt = NullableValue<DateTimeOffset>(row, i + 17),
            Embedding = row.IsDBNull(i + 18) ? null : EmbeddingCodec.FromBytes(row.GetFieldValue<byte[]>(i + 18)),
            EmbeddingModel = Nullable<string>(row, i + 19),
            PhotoHash = row.IsDBNull(i + 20) ? null : unchecked((ulong)row.GetInt64(i + 20)),
            DuplicateOf = Nullable<string>(row, i + 21),
            ReportCount = row.GetInt32(i + 22),
        };

        i += 23;
        if (row.IsDBNull(i))
        {
            throw new StorageException($"Storage: report '{reportId}' has no decision");
        }

        var details = DecisionDetails.Deserialize(row.GetString(i + 10));
        var decision = details.ToRecord(
            Enum.Parse<DecisionSource>(row.GetString(i)),
            row.GetString(i + 1),
            row.GetFieldValue<DateTimeOffset>(i + 2),
            Enum.Parse<TriageStatus>(row.GetString(i + 3)),
            Nullable<string>(row, i + 4),
            row.GetDouble(i + 5),
            row.GetString(i + 6),
            Nullable<string>(row, i + 7),
            row.GetString(i + 8),
            row.GetString(i + 9));
        return new StoredReport(report, decision);
    }

    internal static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    // timestamptz keeps an instant, not an offset, and Npgsql writes only UTC ones: the offset a caller gave is not kept,
    // as in SQLite, and reads back as the same instant.
    internal static DateTimeOffset? Utc(DateTimeOffset? time) => time?.ToUniversalTime();

    private static T? Nullable<T>(NpgsqlDataReader row, int ordinal) where T : class => row.IsDBNull(ordinal) ? null : row.GetFieldValue<T>(ordinal);

    private static T? NullableValue<T>(NpgsqlDataReader row, int ordinal) where T : struct => row.IsDBNull(ordinal) ? null : row.GetFieldValue<T>(ordinal);
}
