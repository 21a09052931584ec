using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Routing;
using Fidamia.Core.Taxonomy;

namespace Fidamia.Core.Pipeline;

public enum TriageStatus
{
    Routed,
    NeedsReview,

    /// <summary>Attached to an earlier open report of the same problem: no queue item of its own.</summary>
    Duplicate,

    /// <summary>An operator decided it is no disorder (abusive, unusable photo...): no queue, the reason kept.</summary>
    Rejected,
}

public sealed record LabelScore(string Code, double Score);

/// <summary>The outcome of triage for one report.</summary>
public sealed record TriageDecision
{
    public required string ReportId { get; init; }

    public required TriageStatus Status { get; init; }

    /// <summary>Null when no label stands out: every label the evidence allows ties (nothing to go on).</summary>
    public required TaxonomyLabel? Label { get; init; }

    public required double Confidence { get; init; }

    public required IReadOnlyList<LabelScore> Candidates { get; init; }

    public required QueueRef Queue { get; init; }

    public required LocationContext Context { get; init; }

    public required PhotoMetadata Photo { get; init; }

    /// <summary>Null when the photo has no EXIF position.</summary>
    public double? DeclaredToExifDistanceM { get; init; }

    public required string ModelName { get; init; }

    public required string ModelVersion { get; init; }

    /// <summary>The routing rule that chose the label's queue (also when the report went to review); null without a label.</summary>
    public string? Rule { get; init; }

    public required IReadOnlyList<string> Explanation { get; init; }

    /// <summary>The earlier report this one is attached to (status <see cref="TriageStatus.Duplicate"/>).</summary>
    public string? DuplicateOf { get; init; }

    /// <summary>This report and those attached to it as duplicates.</summary>
    public int ReportCount { get; init; } = 1;
}
