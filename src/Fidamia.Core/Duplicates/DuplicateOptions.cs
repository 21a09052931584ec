using System.ComponentModel.DataAnnotations;

namespace Fidamia.Core.Duplicates;

/// <summary>When a new report is the same problem as an open one (FixMyStreet's "already reported nearby").</summary>
public sealed class DuplicateOptions
{
    public const string SectionName = "Duplicates";

    /// <summary>Whether a new report is compared with the open ones nearby at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Radius around a report, in metres, for a label or family not in <see cref="RadiusM"/>.</summary>
    [Range(1, 1000)]
    public double DefaultRadiusM { get; set; } = 50;

    /// <summary>
    /// Radius per label code or family code (a label's wins over its family's), in metres. A tag is one wall; a dumping
    /// spreads and is reported from the corner of the street; a road defect from either end of the block. Settings add
    /// to these or change them.
    /// </summary>
    public Dictionary<string, double> RadiusM { get; set; } = new(StringComparer.Ordinal)
    {
        ["graffiti"] = 30,
        ["depot_sauvage"] = 75,
        ["voirie"] = 50,
    };

    /// <summary>How far back an open report can be the original.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Photos at least this close (embedding cosine) show the same scene.</summary>
    [Range(-1.0, 1.0)]
    public double MinCosine { get; set; } = 0.9;

    /// <summary>Photos whose difference hashes differ in at most this many of 64 bits are the same photo, or nearly.</summary>
    [Range(0, 64)]
    public int MaxHashDistance { get; set; } = 10;

    /// <summary>Nearby reports compared at most (the nearest first).</summary>
    [Range(1, 1000)]
    public int MaxCandidates { get; set; } = 50;
}
