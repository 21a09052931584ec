using System.ComponentModel.DataAnnotations;

namespace Fidamia.Core;

/// <summary>How the pipeline fuses evidence and decides.</summary>
public sealed class TriageOptions
{
    public const string SectionName = "Triage";

    /// <summary>
    /// Probability that a declared category is right (rho) before operators have said anything: the prior of what is
    /// learnt per channel and per declared label from their decisions.
    /// </summary>
    [Range(0.0, 1.0)]
    public double DeclaredCategoryReliability { get; set; } = 0.7;

    /// <summary>How many operator decisions the prior counts as: a handful of decisions cannot swing the reliability.</summary>
    [Range(0.0, 10_000.0)]
    public double ReliabilityPriorWeight { get; set; } = 20;

    /// <summary>How often the reliability of declarations is learnt again from operators' decisions.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ReliabilityRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How far back operators' decisions count.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan ReliabilityWindow { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Share of the image evidence spread evenly, so no label is ever ruled out by the image alone.</summary>
    [Range(0.0, 0.5)]
    public double ImageFloor { get; set; } = 0.01;

    /// <summary>Confidence at or above which a report is routed, for labels with no threshold of their own.</summary>
    [Range(0.0, 1.0)]
    public double DefaultThreshold { get; set; } = 0.8;

    /// <summary>A photo whose EXIF position is farther than this from the declared point is never auto-routed.</summary>
    [Range(0.0, 20_000_000.0)]
    public double MaxExifDistanceM { get; set; } = 250;

    /// <summary>Number of candidates returned, best first.</summary>
    [Range(1, 100)]
    public int Candidates { get; set; } = 5;

    /// <summary>The operators' review queue, where reports go when the decision is not confident enough.</summary>
    [Required]
    [RegularExpression("[a-z0-9._-]{1,64}")]
    public string ReviewQueueId { get; set; } = "revue";

    /// <summary>The review queue's name, as answers show it.</summary>
    [Required]
    public string ReviewQueueName { get; set; } = "Revue opérateurs";

    /// <summary>The taxonomy file; empty for the one shipped with the service.</summary>
    public string? TaxonomyPath { get; set; }
}
