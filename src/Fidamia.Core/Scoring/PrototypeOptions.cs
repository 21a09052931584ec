using System.ComponentModel.DataAnnotations;

namespace Fidamia.Core.Scoring;

/// <summary>How an embedding model's prototype memory scores photos.</summary>
public sealed class PrototypeOptions
{
    public const string SectionName = "Prototypes";

    /// <summary>Softmax scale applied to cosines. Larger values made unrelated photos look confident on real photos.</summary>
    [Range(0.1, 1000)]
    public double Scale { get; set; } = 10;

    /// <summary>A label is scored only once it has this many examples.</summary>
    [Range(1, 10_000)]
    public int MinExamples { get; set; } = 3;

    /// <summary>
    /// At most this many prototypes per label: a label whose photos look like several things keeps one per look. 1 keeps a
    /// single centroid per label.
    /// </summary>
    [Range(1, 64)]
    public int PrototypesPerLabel { get; set; } = 8;

    /// <summary>How often the labels that learnt something are regrouped into their prototypes (see <see cref="PrototypeMemory.Consolidate"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ConsolidateInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Below this best raw cosine the photo resembles nothing learnt, and the image says nothing; an example that resembles none of its label's prototypes this much starts a prototype of its own.</summary>
    [Range(-1.0, 1.0)]
    public double OpenSetThreshold { get; set; } = 0.7;

    /// <summary>
    /// The most a citizen's declaration weighs as an example of its label (a perfectly reliable one; a chance-level one
    /// weighs nothing), against 1 for an operator's decision. 0: declarations teach nothing.
    /// </summary>
    [Range(0.0, 1.0)]
    public double DeclaredWeight { get; set; } = 0.25;

    /// <summary>A label's declared examples together weigh at most this share of its operator and seed examples.</summary>
    [Range(0.0, 1.0)]
    public double DeclaredShare { get; set; } = 0.5;

    /// <summary>How often an instance reads the examples other instances learnt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Optional ImageFolder (<c>DIR/&lt;label code&gt;/*.jpg|png</c>) learnt at start.</summary>
    public string? SeedPath { get; set; }
}
