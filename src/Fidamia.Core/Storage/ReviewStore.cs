using Fidamia.Core.Duplicates;
using Fidamia.Core.Scoring;

namespace Fidamia.Core.Storage;

/// <summary>Which reports under review to list: every given filter applies.</summary>
/// <param name="LabelCodes">The model's label among these (a label filter is one code, a family filter its labels).</param>
/// <param name="ReceivedBefore">Only reports received before this (an age filter).</param>
public sealed record PendingFilter(string? Territory, string? CommuneInsee, IReadOnlyCollection<string>? LabelCodes, DateTimeOffset? ReceivedBefore);

/// <summary>Where a page ends: the next one starts after this report (oldest first).</summary>
public sealed record PendingCursor(DateTimeOffset ReceivedAt, string ReportId);

/// <summary>An operator's hold on a report under review, until it expires.</summary>
public sealed record ReviewClaim(string Operator, DateTimeOffset ExpiresAt);

public sealed record PendingReport(StoredReport Report, ReviewClaim? Claim);

/// <summary>One page of reports under review, the number of them matching, and their counts per filter value.</summary>
/// <param name="Communes">Per INSEE code: the commune's name and count.</param>
public sealed record PendingPage(
    IReadOnlyList<PendingReport> Reports, PendingCursor? Next, long Total,
    IReadOnlyDictionary<string, long> Territories, IReadOnlyDictionary<string, (string Name, long Count)> Communes,
    IReadOnlyDictionary<string, long> Labels);

/// <summary>
/// The counts of a <see cref="PendingPage"/>, summed from rows the store groups by territory, commune (INSEE code and
/// name) and label, with their count, in that order: one reading for every provider.
/// </summary>
public static class PendingCounts
{
    public static async Task<PendingPage> ReadAsync(
        System.Data.Common.DbDataReader rows, IReadOnlyList<PendingReport> reports, PendingCursor? next, CancellationToken cancellationToken)
    {
        var territories = new Dictionary<string, long>(StringComparer.Ordinal);
        var communes = new Dictionary<string, (string Name, long Count)>(StringComparer.Ordinal);
        var labels = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        while (await rows.ReadAsync(cancellationToken))
        {
            string Text(int ordinal) => rows.IsDBNull(ordinal) ? "" : rows.GetString(ordinal);
            var count = rows.GetInt64(4);
            total += count;
            territories[Text(0)] = territories.GetValueOrDefault(Text(0)) + count;
            communes[Text(1)] = (Text(2), communes.GetValueOrDefault(Text(1)).Count + count);
            labels[Text(3)] = labels.GetValueOrDefault(Text(3)) + count;
        }

        return new PendingPage(reports, next, total, territories, communes, labels);
    }
}

public enum ClaimOutcome
{
    Claimed,

    /// <summary>Another operator's claim has not expired.</summary>
    HeldByOther,

    /// <summary>The report is not under review (routed, resolved, rejected).</summary>
    NotReviewable,

    NotFound,
}

/// <summary>A person's decision on a report, applied in one transaction with all that follows from it.</summary>
/// <param name="Decision">The new current decision (source human, the operator as actor).</param>
/// <param name="DuplicateOf">The report this one is attached to from now on; null to stand on its own.</param>
/// <param name="Learn">An example for the prototype memory (the report's embedding under the human label), or none.</param>
/// <param name="Action">What the audit trail says: resolved, rejected, duplicate.</param>
public sealed record HumanDecision(
    string ReportId, string Operator, DecisionRecord Decision, string? DuplicateOf, StoredPrototype? Learn, string Action, string? Note)
{
    /// <summary>The audit entry's details: what was decided, never more than the operator wrote.</summary>
    public string AuditDetails => string.Join("; ", new[]
    {
        Decision.LabelCode is { } label ? $"label {label}" : null,
        Decision.QueueId is { Length: > 0 } queue ? $"queue {queue}" : null,
        DuplicateOf is { } of ? $"duplicate of {of}" : null,
        Learn is not null ? "learnt" : null,
        string.IsNullOrEmpty(Note) ? null : $"note: {Note}",
    }.OfType<string>());
}

public enum HumanDecisionOutcome
{
    Applied,

    /// <summary>The operator holds no live claim on the report.</summary>
    NotClaimed,

    /// <summary>The report is not open to a decision any more (resolved or rejected since).</summary>
    NotReviewable,
}

/// <summary>
/// What operators and the duplicate search need from the store. A human decision is one transaction: the decision row,
/// the report's current state, the review item done, the item in the new queue, duplicate counts, the audit entry, the
/// claim released and, when asked, the example learnt.
/// </summary>
public interface IReviewStore
{
    /// <summary>Reports under review (current status NeedsReview), oldest first.</summary>
    Task<PendingPage> ListPendingAsync(PendingFilter filter, int pageSize, PendingCursor? after, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Reports received since <paramref name="since"/> within a box of <paramref name="radiusM"/> around the point, nearest first.</summary>
    Task<IReadOnlyList<NearbyReport>> FindNearbyAsync(
        double lat, double lon, double radiusM, DateTimeOffset since, string? excluding, int max, CancellationToken cancellationToken);

    /// <summary>Claims (or extends the caller's own claim on) a report under review or attached as a duplicate.</summary>
    Task<(ClaimOutcome Outcome, ReviewClaim? Claim)> ClaimAsync(
        string reportId, string operatorName, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>The live claim on a report, if any.</summary>
    Task<ReviewClaim?> FindClaimAsync(string reportId, DateTimeOffset now, CancellationToken cancellationToken);

    Task<HumanDecisionOutcome> ApplyAsync(HumanDecision human, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Every report whose current decision is a person's, made at or after <paramref name="since"/>, beside the model's
    /// first decision on it: what review statistics, the reliability of declarations and the dataset are made of.
    /// </summary>
    Task<IReadOnlyList<HumanOutcome>> ReadHumanOutcomesAsync(DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>A person's current decision on a report, beside what the model had said and what the citizen had declared.</summary>
/// <param name="HumanLabel">Null when rejected.</param>
public sealed record HumanOutcome(
    string ReportId, Reports.ReportChannel Channel, string? DeclaredCategory, string? ModelLabel, double ModelConfidence, string ModelName,
    string ModelVersion, string? HumanLabel, Pipeline.TriageStatus HumanStatus, string Operator, DateTimeOffset DecidedAt, string PhotoSha256,
    string PhotoFormat, DateTimeOffset? PhotoDeletedAt);

/// <summary>An example of the prototype memory as stored: where it came from and how much it weighs.</summary>
/// <param name="Source">seed, operator or declared.</param>
public sealed record StoredPrototype(string Model, PrototypeExample Example, string Source, double Weight, string? ReportId);

/// <summary>
/// The prototype memory in the store, shared by every instance on the database. <see cref="ReadAsync"/> returns what was
/// added since a cursor; instances poll it to learn what others learnt.
/// </summary>
public interface IPrototypeStore
{
    /// <summary>Adds examples; ids the model already has are skipped. Returns how many were added.</summary>
    Task<int> AddAsync(IReadOnlyCollection<StoredPrototype> examples, CancellationToken cancellationToken);

    /// <summary>The model's examples added after <paramref name="cursor"/> (null: all), and the cursor to pass next.</summary>
    Task<(IReadOnlyList<StoredPrototype> Examples, long Cursor)> ReadAsync(string model, long? cursor, CancellationToken cancellationToken);
}
