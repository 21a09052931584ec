using Fidamia.Core.Scoring;
using Fidamia.Core.Storage;
using Npgsql;
using static Fidamia.Storage.Postgres.PostgresReportStore;

namespace Fidamia.Storage.Postgres;

/// <summary>
/// The prototype memory in PostgreSQL, shared by every instance. Identity values are taken in one order and committed in
/// another, so a reader also takes the rows of the last <see cref="LateCommits"/> again; the memory skips ids it has.
/// </summary>
public sealed class PostgresPrototypeStore(PostgresDatabase database) : IPrototypeStore
{
    private static readonly TimeSpan LateCommits = TimeSpan.FromSeconds(30);
    private readonly NpgsqlDataSource _dataSource = database.DataSource;

    public async Task<int> AddAsync(IReadOnlyCollection<StoredPrototype> examples, CancellationToken cancellationToken)
    {
        if (examples.Count == 0)
        {
            return 0;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var added = 0;
        foreach (var example in examples)
        {
            added += await InsertAsync(connection, transaction, example, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<(IReadOnlyList<StoredPrototype> Examples, long Cursor)> ReadAsync(string model, long? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT seq, example_id, label_code, source, weight, embedding, report_id FROM prototypes
            WHERE model = @model AND (seq > @cursor OR added_at > now() - @late) ORDER BY seq
            """, ("model", model), ("cursor", cursor ?? 0), ("late", LateCommits));
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        var examples = new List<StoredPrototype>();
        var last = cursor ?? 0;
        while (await rows.ReadAsync(cancellationToken))
        {
            last = Math.Max(last, rows.GetInt64(0));
            examples.Add(new StoredPrototype(
                model,
                new PrototypeExample(rows.GetString(1), rows.GetString(2), EmbeddingCodec.FromBytes(rows.GetFieldValue<byte[]>(5))) { Weight = rows.GetDouble(4), Declared = rows.GetString(3) == "declared", ReportId = rows.IsDBNull(6) ? null : rows.GetString(6) },
                rows.GetString(3),
                rows.GetDouble(4),
                rows.IsDBNull(6) ? null : rows.GetString(6)));
        }

        return (examples, last);
    }

    internal static async Task<int> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StoredPrototype example, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO prototypes (model, example_id, label_code, source, weight, embedding, report_id)
            VALUES (@model, @id, @label, @source, @weight, @embedding, @report)
            ON CONFLICT (model, example_id) DO NOTHING
            """, ("model", example.Model), ("id", example.Example.Id), ("label", example.Example.Label), ("source", example.Source),
            ("weight", example.Weight), ("embedding", EmbeddingCodec.ToBytes(example.Example.Embedding)), ("report", example.ReportId));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
