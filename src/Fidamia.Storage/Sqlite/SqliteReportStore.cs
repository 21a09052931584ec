using System.Globalization;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Fidamia.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, so readers never wait behind the writer. SQLite has one writer at a
/// time; each write is one short immediate transaction, and no connection is held across inference.
/// </summary>
public sealed class SqliteReportStore : IReportStore, IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);

    private readonly string _synchronous;

    private SqliteReportStore(string path, StorageDurability durability)
    {
        Path = path;
        Durability = durability;
        // In WAL mode NORMAL syncs at checkpoints only: a commit survives the process, FULL also a power cut.
        _synchronous = durability == StorageDurability.PowerLoss ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public StorageDurability Durability { get; }

    /// <summary>Opens (creating it if need be) and migrates the database at <paramref name="path"/>.</summary>
    /// <exception cref="StorageException">The file is corrupt, read-only, or of a newer schema than this binary knows.</exception>
    public static SqliteReportStore Open(string path, StorageDurability durability = StorageDurability.Process)
    {
        var store = new SqliteReportStore(System.IO.Path.GetFullPath(path), durability);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(store.Path)!);
        try
        {
            using var connection = store.Connect();
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                wal.ExecuteNonQuery();
            }

            SqliteMigrations.Apply(connection, store.Path);
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"Storage: the database {store.Path} cannot be used: {ex.Message}", ex);
        }
        finally
        {
            // Nothing keeps the file open between uses: a failed start leaves it as it was.
            SqliteConnection.ClearAllPools();
        }

        return store;
    }

    public void Dispose() => _writer.Dispose();

    public async Task<StoredReport?> FindAsync(string reportId, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        return await FindAsync(connection, null, reportId, cancellationToken);
    }

    public async Task<StoredReport?> AddAsync(ReportRecord report, DecisionRecord decision, CancellationToken cancellationToken)
    {
        await using var write = await BeginWriteAsync(cancellationToken);
        var (connection, transaction) = (write.Connection, write.Transaction);
        var inserted = await ExecuteAsync(connection, transaction, """
            INSERT INTO reports (report_id, fingerprint, received_at, lat, lon, accuracy_m, declared_category, description, channel,
                reported_at, photo_sha256, photo_format, photo_width, photo_height, exif_lat, exif_lon, taken_at, photo_orientation,
                current_status, current_label, territory, commune_insee, commune_name, embedding, embedding_model, photo_hash, duplicate_of)
            VALUES ($id, $fingerprint, $received, $lat, $lon, $accuracy, $declared, $description, $channel,
                $reported, $sha, $format, $width, $height, $exifLat, $exifLon, $taken, $orientation,
                $status, $label, $territory, $insee, $commune, $embedding, $embeddingModel, $hash, $duplicateOf)
            ON CONFLICT (report_id) DO NOTHING
            """, cancellationToken,
            ("$id", report.ReportId), ("$fingerprint", report.Fingerprint), ("$received", Time(report.ReceivedAt)),
            ("$lat", report.Lat), ("$lon", report.Lon), ("$accuracy", report.AccuracyM), ("$declared", report.DeclaredCategory),
            ("$description", report.Description), ("$channel", (int)report.Channel), ("$reported", Time(report.ReportedAt)),
            ("$sha", report.PhotoSha256), ("$format", report.PhotoFormat), ("$width", report.PhotoWidth), ("$height", report.PhotoHeight),
            ("$exifLat", report.ExifLat), ("$exifLon", report.ExifLon), ("$taken", Time(report.TakenAt)),
            ("$orientation", report.PhotoOrientation),
            ("$status", decision.Status.ToString()), ("$label", decision.LabelCode), ("$territory", decision.Context.Territory),
            ("$insee", decision.Context.Commune.Insee), ("$commune", decision.Context.Commune.Name),
            ("$embedding", report.Embedding is { } e ? EmbeddingCodec.ToBytes(e) : null), ("$embeddingModel", report.EmbeddingModel),
            ("$hash", report.PhotoHash is { } h ? unchecked((long)h) : null), ("$duplicateOf", report.DuplicateOf));
        if (inserted == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return await FindAsync(connection, null, report.ReportId, cancellationToken);
        }

        var decisionId = await InsertDecisionAsync(connection, transaction, report.ReportId, decision, cancellationToken);
        if (report.DuplicateOf is { } original)
        {
            // Attached to the original: no item of its own, one more report of the original's problem.
            await ExecuteAsync(connection, transaction, "UPDATE reports SET report_count = report_count + 1 WHERE report_id = $original",
                cancellationToken, ("$original", original));
        }
        else
        {
            await ExecuteAsync(connection, transaction, """
                INSERT INTO queue_items (queue_id, report_id, decision_id, state, attempts, visible_at, created_at)
                VALUES ($queue, $id, $decision, 'ready', 0, $at, $at)
                """, cancellationToken, ("$queue", decision.QueueId), ("$id", report.ReportId), ("$decision", decisionId), ("$at", Time(decision.At)));
        }

        await ExecuteAsync(connection, transaction, """
            INSERT INTO audit (report_id, at, actor, action, details) VALUES ($id, $at, $actor, 'triaged', $details)
            """, cancellationToken, ("$id", report.ReportId), ("$at", Time(decision.At)), ("$actor", decision.Actor),
            ("$details", report.DuplicateOf is { } of ? $"Duplicate of {of}" : $"{decision.Status} to {decision.QueueId}"));
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    public async Task<IReadOnlyList<string>> FindExpiredPhotosAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = Command(connection, null, """
            SELECT DISTINCT r.photo_sha256 FROM reports r
            WHERE r.photo_deleted_at IS NULL AND r.received_at < $cutoff
              AND NOT EXISTS (SELECT 1 FROM reports n WHERE n.photo_sha256 = r.photo_sha256 AND n.received_at >= $cutoff)
            LIMIT $max
            """, ("$cutoff", Time(cutoff)), ("$max", max));
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
        await using var connection = Connect();
        await using var command = Command(connection, null, """
            SELECT received_at, report_id FROM reports
            WHERE received_at >= $since AND ($afterAt IS NULL OR received_at > $afterAt OR (received_at = $afterAt AND report_id > $afterId))
            ORDER BY received_at, report_id
            LIMIT $max
            """, ("$since", Time(since)), ("$afterAt", Time(after?.ReceivedAt)), ("$afterId", after?.ReportId), ("$max", max));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var page = new List<ReceivedReport>();
        while (await rows.ReadAsync(cancellationToken))
        {
            page.Add(new ReceivedReport(ParseTime(rows.GetString(0)), rows.GetString(1)));
        }

        return page;
    }

    public async Task<long> CountReceivedAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = Connect();
        await using var command = Command(connection, null, "SELECT count(*) FROM reports WHERE received_at >= $since", ("$since", Time(since)));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async Task<int> MarkPhotoDeletedAsync(string photoSha256, DateTimeOffset cutoff, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var write = await BeginWriteAsync(cancellationToken);
        var (connection, transaction) = (write.Connection, write.Transaction);
        await ExecuteAsync(connection, transaction, """
            INSERT INTO audit (report_id, at, actor, action, details)
            SELECT report_id, $at, 'retention', 'photo_deleted', photo_sha256 FROM reports
            WHERE photo_sha256 = $sha AND photo_deleted_at IS NULL AND received_at < $cutoff
            """, cancellationToken, ("$at", Time(at)), ("$sha", photoSha256), ("$cutoff", Time(cutoff)));
        var marked = await ExecuteAsync(connection, transaction, """
            UPDATE reports SET photo_deleted_at = $at WHERE photo_sha256 = $sha AND photo_deleted_at IS NULL AND received_at < $cutoff
            """, cancellationToken, ("$at", Time(at)), ("$sha", photoSha256), ("$cutoff", Time(cutoff)));
        await transaction.CommitAsync(cancellationToken);
        return marked;
    }

    /// <summary>
    /// A write transaction. SQLite has one writer: the writers of this process take turns here, waiting without a thread,
    /// rather than each retrying the file lock. Immediate, so the write lock is taken at BEGIN and two writers never both
    /// read first and then fail to upgrade (another process on the file still waits on the lock).
    /// </summary>
    internal async Task<WriteScope> BeginWriteAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        SqliteConnection? connection = null;
        try
        {
            connection = Connect();
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            return new WriteScope(connection, transaction, _writer);
        }
        catch
        {
            connection?.Dispose();
            _writer.Release();
            throw;
        }
    }

    internal SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // A per-connection setting, and a pooled connection may come back from elsewhere: set on every open.
        using (var command = connection.CreateCommand())
        {
            command.CommandText = _synchronous;
            command.ExecuteNonQuery();
        }

        return connection;
    }

    internal static async Task<long> InsertDecisionAsync(
        SqliteConnection connection, SqliteTransaction transaction, string reportId, DecisionRecord decision, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO decisions (report_id, source, actor, at, status, label_code, confidence, queue_id, rule, model_name, model_version, details)
            VALUES ($id, $source, $actor, $at, $status, $label, $confidence, $queue, $rule, $model, $version, $details)
            RETURNING id
            """,
            ("$id", reportId), ("$source", decision.Source.ToString()), ("$actor", decision.Actor), ("$at", Time(decision.At)),
            ("$status", decision.Status.ToString()), ("$label", decision.LabelCode), ("$confidence", decision.Confidence),
            ("$queue", decision.QueueId), ("$rule", decision.Rule), ("$model", decision.ModelName), ("$version", decision.ModelVersion),
            ("$details", DecisionDetails.Serialize(decision)));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    internal static async Task<StoredReport?> FindAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string reportId, CancellationToken cancellationToken)
    {
        ReportRecord report;
        await using (var command = Command(connection, transaction, """
            SELECT fingerprint, received_at, lat, lon, accuracy_m, declared_category, description, channel, reported_at,
                photo_sha256, photo_format, photo_width, photo_height, exif_lat, exif_lon, taken_at, photo_orientation, photo_deleted_at,
                embedding, embedding_model, photo_hash, duplicate_of, report_count
            FROM reports WHERE report_id = $id
            """, ("$id", reportId)))
        await using (var row = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await row.ReadAsync(cancellationToken))
            {
                return null;
            }

            report = new ReportRecord
            {
                ReportId = reportId,
                Fingerprint = (byte[])row["fingerprint"],
                ReceivedAt = ParseTime(row.GetString(1)),
                Lat = row.GetDouble(2),
                Lon = row.GetDouble(3),
                AccuracyM = row.GetDouble(4),
                DeclaredCategory = row.IsDBNull(5) ? null : row.GetString(5),
                Description = row.IsDBNull(6) ? null : row.GetString(6),
                Channel = (ReportChannel)row.GetInt32(7),
                ReportedAt = row.IsDBNull(8) ? null : ParseTime(row.GetString(8)),
                PhotoSha256 = row.GetString(9),
                PhotoFormat = row.GetString(10),
                PhotoWidth = row.GetInt32(11),
                PhotoHeight = row.GetInt32(12),
                ExifLat = row.IsDBNull(13) ? null : row.GetDouble(13),
                ExifLon = row.IsDBNull(14) ? null : row.GetDouble(14),
                TakenAt = row.IsDBNull(15) ? null : ParseTime(row.GetString(15)),
                PhotoOrientation = row.GetInt32(16),
                PhotoDeletedAt = row.IsDBNull(17) ? null : ParseTime(row.GetString(17)),
                Embedding = row.IsDBNull(18) ? null : EmbeddingCodec.FromBytes((byte[])row[18]),
                EmbeddingModel = row.IsDBNull(19) ? null : row.GetString(19),
                PhotoHash = row.IsDBNull(20) ? null : unchecked((ulong)row.GetInt64(20)),
                DuplicateOf = row.IsDBNull(21) ? null : row.GetString(21),
                ReportCount = row.GetInt32(22),
            };
        }

        // The newest decision is the current one: a person's later decision wins over the model's.
        await using (var command = Command(connection, transaction, """
            SELECT source, actor, at, status, label_code, confidence, queue_id, rule, model_name, model_version, details
            FROM decisions WHERE report_id = $id ORDER BY id DESC LIMIT 1
            """, ("$id", reportId)))
        await using (var row = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await row.ReadAsync(cancellationToken))
            {
                throw new StorageException($"Storage: report '{reportId}' has no decision");
            }

            var details = DecisionDetails.Deserialize(row.GetString(10));
            var decision = details.ToRecord(
                Enum.Parse<DecisionSource>(row.GetString(0)),
                row.GetString(1),
                ParseTime(row.GetString(2)),
                Enum.Parse<TriageStatus>(row.GetString(3)),
                row.IsDBNull(4) ? null : row.GetString(4),
                row.GetDouble(5),
                row.GetString(6),
                row.IsDBNull(7) ? null : row.GetString(7),
                row.GetString(8),
                row.GetString(9));
            return new StoredReport(report, decision);
        }
    }

    internal static async Task<int> ExecuteAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    // Round-trip text, UTC: sorts as it reads, and no zone is lost.
    internal static string? Time(DateTimeOffset? time) => time?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}

/// <summary>A connection, its write transaction and this process's turn as SQLite's writer, given back together.</summary>
internal sealed class WriteScope(SqliteConnection connection, SqliteTransaction transaction, SemaphoreSlim writer) : IAsyncDisposable
{
    public SqliteConnection Connection { get; } = connection;

    public SqliteTransaction Transaction { get; } = transaction;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
        finally
        {
            writer.Release();
        }
    }
}
