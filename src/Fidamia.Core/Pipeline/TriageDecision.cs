using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Routing;
using Fidamia.Core.Taxonomy;

namespace Fidamia.Core.Pipeline;

public enum TriageStatus
{
    Routed,
    NeedsReview,
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

    public required IReadOnlyList<string> Explanation { get; init; }
}
