using System.ComponentModel.DataAnnotations;

namespace Fidamia.Core.Review;

/// <summary>The operators' review queue (section <c>Review</c>).</summary>
public sealed class ReviewOptions
{
    public const string SectionName = "Review";

    /// <summary>How long an operator's claim on a report lasts; claiming again extends it.</summary>
    [Range(0.01, 480)]
    public double ClaimMinutes { get; set; } = 15;

    /// <summary>Reports per <c>ListPending</c> page when the call asks for none.</summary>
    [Range(1, 500)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The most reports a <c>ListPending</c> page may ask for.</summary>
    [Range(1, 500)]
    public int MaxPageSize { get; set; } = 200;
}
