namespace Fidamia.Core.Scoring;

/// <summary>
/// What the photo says: a probability per taxonomy label (indexed like <see cref="Taxonomy.Taxonomy.Labels"/>).
/// When the image tells nothing (cold memory, open set), the distribution is uniform and
/// <see cref="Informative"/> is false.
/// </summary>
public sealed record ImageEvidence(double[] Probabilities, bool Informative, IReadOnlyList<string> Explanation)
{
    public static ImageEvidence Uniform(int labelCount, string reason)
    {
        var p = new double[labelCount];
        Array.Fill(p, 1.0 / labelCount);
        return new ImageEvidence(p, Informative: false, [reason]);
    }
}

/// <summary>Turns a model's raw output into image evidence over the taxonomy.</summary>
public interface IImageScorer
{
    ImageEvidence Score(ReadOnlySpan<float> modelOutput);
}
