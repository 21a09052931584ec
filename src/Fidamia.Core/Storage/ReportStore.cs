using Fidamia.Core.Location;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;

namespace Fidamia.Core.Storage;

/// <summary>What the caller sent, as stored: the photo itself is kept apart, once, by its SHA-256.</summary>
public sealed record ReportRecord
{
    public required string ReportId { get; init; }

    /// <summary>SHA-256 over everything the caller sent: tells a retry from another report under the same id.</summary>
    public required byte[] Fingerprint { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required double Lat { get; init; }

    public required double Lon { get; init; }

    public double AccuracyM { get; init; }

    public string? DeclaredCategory { get; init; }

    public string? Description { get; init; }

    public ReportChannel Channel { get; init; }

    public DateTimeOffset? ReportedAt { get; init; }

    /// <summary>The stored photo's SHA-256 (hex), of its bytes with the metadata stripped.</summary>
    public required string PhotoSha256 { get; init; }

    public required string PhotoFormat { get; init; }

    public int PhotoWidth { get; init; }

    public int PhotoHeight { get; init; }

    /// <summary>The photo's EXIF position and time, kept here rather than in the stored file.</summary>
    public double? ExifLat { get; init; }

    public double? ExifLon { get; init; }

    public DateTimeOffset? TakenAt { get; init; }

    /// <summary>The photo's EXIF orientation 1-8, applied when it is shown (the stored file has no EXIF left).</summary>
    public int PhotoOrientation { get; init; } = 1;

    /// <summary>When retention deleted the photo file (<c>Storage:PhotoRetentionDays</c>); null while it is kept.</summary>
    public DateTimeOffset? PhotoDeletedAt { get; init; }

    /// <summary>The photo's embedding, L2-normalised, from <see cref="EmbeddingModel"/>; null for a classifier model.</summary>
    public float[]? Embedding { get; init; }

    /// <summary>The model (name: its versions share a feature space) whose embedding this is.</summary>
    public string? EmbeddingModel { get; init; }

    /// <summary>The photo's difference hash (<see cref="Imaging.PhotoHash"/>).</summary>
    public ulong? PhotoHash { get; init; }

    /// <summary>The earlier report this one is attached to as a duplicate.</summary>
    public string? DuplicateOf { get; init; }

    /// <summary>This report and those attached to it.</summary>
    public int ReportCount { get; init; } = 1;
}

/// <summary>Who decided: the model at triage, or a person later (operators).</summary>
public enum DecisionSource
{
    Model,
    Human,
}

/// <summary>
/// One decision on a report, as stored. Decisions are never overwritten: a later one (an operator's) is a new row,
/// and the newest is the report's current decision.
/// </summary>
public sealed record DecisionRecord
{
    public required DecisionSource Source { get; init; }

    /// <summary>The model (name/version) or the person who decided.</summary>
    public required string Actor { get; init; }

    public required DateTimeOffset At { get; init; }

    public required TriageStatus Status { get; init; }

    /// <summary>Null when no label stood out.</summary>
    public string? LabelCode { get; init; }

    public required double Confidence { get; init; }

    public IReadOnlyList<LabelScore> Candidates { get; init; } = [];

    public required string QueueId { get; init; }

    public required string QueueName { get; init; }

    /// <summary>The routing rule that chose the queue the label goes to (also when the report went to review).</summary>
    public string? Rule { get; init; }

    public required string ModelName { get; init; }

    public required string ModelVersion { get; init; }

    public required LocationContext Context { get; init; }

    public double? DeclaredToExifDistanceM { get; init; }

    public IReadOnlyList<string> Explanation { get; init; } = [];
}

/// <summary>A stored report and its current decision.</summary>
public sealed record StoredReport(ReportRecord Report, DecisionRecord Decision);

/// <summary>
/// The reports' durable store. Implementations write a report, its decision, its queue item and an audit entry in one
/// transaction; they are safe for concurrent use, also by several service instances on one database where the provider
/// allows it.
/// </summary>
public interface IReportStore
{
    /// <summary>The report stored under this id, with its current decision; null when there is none.</summary>
    Task<StoredReport?> FindAsync(string reportId, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a new report with its first decision, the item in the decision's queue and an audit entry, in one transaction.
    /// Returns null once committed; when the id is already taken (a concurrent call, another instance), writes nothing and
    /// returns what is stored under it.
    /// </summary>
    Task<StoredReport?> AddAsync(ReportRecord report, DecisionRecord decision, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="max"/> photos (SHA-256, hex) still kept whose every report was received before
    /// <paramref name="cutoff"/>: those retention may delete.
    /// </summary>
    Task<IReadOnlyList<string>> FindExpiredPhotosAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken);

    /// <summary>
    /// Records on every report received before <paramref name="cutoff"/> with this photo that its file was deleted at
    /// <paramref name="at"/>, with an audit entry each, in one transaction; reports and decisions stay. Returns how many.
    /// </summary>
    Task<int> MarkPhotoDeletedAsync(string photoSha256, DateTimeOffset cutoff, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="max"/> reports received at or after <paramref name="since"/>, in the order received (ties by
    /// id), after <paramref name="after"/> (null: from the first): a page of the archive for the tools that go through it.
    /// </summary>
    Task<IReadOnlyList<ReceivedReport>> ListReceivedAsync(DateTimeOffset since, ReceivedReport? after, int max, CancellationToken cancellationToken);

    /// <summary>How many reports were received at or after <paramref name="since"/>.</summary>
    Task<long> CountReceivedAsync(DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>A report's place in the archive's order.</summary>
public sealed record ReceivedReport(DateTimeOffset ReceivedAt, string ReportId);

/// <summary>Keeps accepted photos, once each, with their metadata stripped.</summary>
public interface IPhotoArchive
{
    /// <summary>Stores the photo's bytes without their metadata (a no-op when the same bytes are there) and returns their SHA-256 (hex).</summary>
    Task<string> KeepAsync(ReadOnlyMemory<byte> photo, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the photo unless it was kept (written, or sent again) at or after <paramref name="keptSince"/>: a report
    /// being stored right now may refer to it. True when the photo is gone (also when it was not there).
    /// </summary>
    bool Delete(string photoSha256, DateTimeOffset keptSince);

    /// <summary>The stored (stripped) photo; null when it is not there (deleted by retention).</summary>
    Task<byte[]?> ReadAsync(string photoSha256, CancellationToken cancellationToken);
}

/// <summary>Removes the metadata of a photo that passed inspection, without re-encoding it.</summary>
public interface IPhotoMetadataStripper
{
    /// <summary>Writes the photo's bytes without its metadata (EXIF, XMP, IPTC, ICC, comments, text chunks): never more than its length.</summary>
    void Strip(ReadOnlySpan<byte> photo, System.Buffers.IBufferWriter<byte> output);
}
