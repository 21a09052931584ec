using System.ComponentModel.DataAnnotations;

namespace Fidamia.Core.Review;

public sealed class ReviewOptions
{
    public const string SectionName = "Review";

    /// <summary>How long an operator's claim on a report lasts; claiming again extends it.</summary>
    [Range(0.01, 480)]
    public double ClaimMinutes { get; set; } = 15;

    [Range(1, 500)]
    public int DefaultPageSize { get; set; } = 50;

    [Range(1, 500)]
    public int MaxPageSize { get; set; } = 200;
}
