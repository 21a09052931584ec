using Fidamia.Core.Scoring;
using Fidamia.Core.Storage;
using Microsoft.Data.Sqlite;
using static Fidamia.Storage.Sqlite.SqliteReportStore;

namespace Fidamia.Storage.Sqlite;

/// <summary>The prototype memory in the SQLite file. One writer commits in order, so <c>seq</c> is the cursor.</summary>
public sealed class SqlitePrototypeStore(SqliteReportStore store, TimeProvider clock) : IPrototypeStore
{
    public async Task<int> AddAsync(IReadOnlyCollection<StoredPrototype> examples, CancellationToken cancellationToken)
    {
        if (examples.Count == 0)
        {
            return 0;
        }

        await using var write = await store.BeginWriteAsync(cancellationToken);
        var added = 0;
        foreach (var example in examples)
        {
            added += await InsertAsync(write.Connection, write.Transaction, example, clock.GetUtcNow(), cancellationToken);
        }

        await write.Transaction.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<(IReadOnlyList<StoredPrototype> Examples, long Cursor)> ReadAsync(string model, long? cursor, CancellationToken cancellationToken)
    {
        await using var connection = store.Connect();
        await using var command = Command(connection, null, """
            SELECT seq, example_id, label_code, source, weight, embedding, report_id FROM prototypes
            WHERE model = $model AND seq > $cursor ORDER BY seq
            """, ("$model", model), ("$cursor", cursor ?? 0));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var examples = new List<StoredPrototype>();
        var last = cursor ?? 0;
        while (await rows.ReadAsync(cancellationToken))
        {
            last = rows.GetInt64(0);
            examples.Add(new StoredPrototype(
                model,
                new PrototypeExample(rows.GetString(1), rows.GetString(2), EmbeddingCodec.FromBytes((byte[])rows[5])) { Weight = rows.GetDouble(4), Declared = rows.GetString(3) == "declared", ReportId = rows.IsDBNull(6) ? null : rows.GetString(6) },
                rows.GetString(3),
                rows.GetDouble(4),
                rows.IsDBNull(6) ? null : rows.GetString(6)));
        }

        return (examples, last);
    }

    internal static Task<int> InsertAsync(
        SqliteConnection connection, SqliteTransaction transaction, StoredPrototype example, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, """
            INSERT INTO prototypes (model, example_id, label_code, source, weight, embedding, report_id, added_at)
            VALUES ($model, $id, $label, $source, $weight, $embedding, $report, $now)
            ON CONFLICT (model, example_id) DO NOTHING
            """, cancellationToken, ("$model", example.Model), ("$id", example.Example.Id), ("$label", example.Example.Label),
            ("$source", example.Source), ("$weight", example.Weight), ("$embedding", EmbeddingCodec.ToBytes(example.Example.Embedding)),
            ("$report", example.ReportId), ("$now", Time(now)));
}
