using System.Globalization;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scoring;

/// <summary>One labelled example: an L2-normalised embedding and a stable id (so the same photo is never learnt twice).</summary>
public sealed record PrototypeExample(string Id, string Label, float[] Embedding)
{
    /// <summary>How much it counts in its label's prototype (an operator's example 1).</summary>
    public double Weight { get; init; } = 1;

    /// <summary>A citizen's declaration (a weak label), as opposed to a person's decision or a seed photo.</summary>
    public bool Declared { get; init; }

    /// <summary>The report it was learnt from, if any: an operator's example of a report replaces that report's declared one.</summary>
    public string? ReportId { get; init; }
}

/// <summary>
/// Learns labels from examples for an embedding model: per label, the weighted centroid of the
/// normalised embeddings; a photo scores softmax(cosine x scale) over labels with enough
/// examples. Declared examples (weak labels) are kept apart: together they weigh at most
/// <see cref="PrototypeOptions.DeclaredShare"/> of a label's operator and seed examples, so people always outweigh them,
/// and a report an operator labelled counts only by the operator's label. Open set: when the best raw cosine is under the threshold, the photo resembles
/// nothing learnt and the image evidence is uniform (a softmax alone never says "unknown").
/// Thread-safe: reads take an immutable snapshot.
/// </summary>
public sealed class PrototypeMemory : IImageScorer
{
    private readonly Taxonomy.Taxonomy _taxonomy;
    private readonly PrototypeOptions _options;
    private readonly Lock _writeLock = new();
    private Snapshot _snapshot;

    public PrototypeMemory(Taxonomy.Taxonomy taxonomy, IOptions<PrototypeOptions> options, int dimension, string model = "")
    {
        Model = model;
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        _taxonomy = taxonomy;
        _options = options.Value;
        Dimension = dimension;
        _snapshot = Snapshot.Empty(taxonomy.Count, dimension);
    }

    public int Dimension { get; }

    /// <summary>The model (name) whose feature space the examples are in.</summary>
    public string Model { get; }

    public int Count => _snapshot.Examples.Count;

    public IReadOnlyList<PrototypeExample> Examples => _snapshot.Examples;

    public bool Contains(string exampleId) => _snapshot.Ids.Contains(exampleId);

    /// <summary>Number of examples per label code.</summary>
    public IReadOnlyDictionary<string, int> CountsByLabel =>
        _taxonomy.Labels.Where(l => _snapshot.Counts[l.Index] > 0).ToDictionary(l => l.Code, l => _snapshot.Counts[l.Index]);

    /// <summary>Adds examples; ids already present are skipped. Returns how many were added.</summary>
    public int Add(IEnumerable<PrototypeExample> examples)
    {
        lock (_writeLock)
        {
            var list = _snapshot.Examples.ToList();
            var ids = new HashSet<string>(_snapshot.Ids, StringComparer.Ordinal);
            var added = 0;
            foreach (var example in examples)
            {
                if (_taxonomy.Find(example.Label) is null)
                {
                    throw new ArgumentException($"example '{example.Id}': label '{example.Label}' is not in the taxonomy", nameof(examples));
                }

                if (example.Embedding.Length != Dimension)
                {
                    throw new ArgumentException(
                        $"example '{example.Id}': embedding has {example.Embedding.Length} dimensions, the model gives {Dimension}", nameof(examples));
                }

                if (ids.Add(example.Id))
                {
                    list.Add(example with { Embedding = Normalized(example.Embedding) });
                    added++;
                }
            }

            if (added > 0)
            {
                _snapshot = Snapshot.Build(_taxonomy, list, Dimension, _options.DeclaredShare);
            }

            return added;
        }
    }

    public ImageEvidence Score(ReadOnlySpan<float> modelOutput)
    {
        var snapshot = _snapshot;
        var scored = new List<int>();
        for (var i = 0; i < snapshot.Counts.Length; i++)
        {
            if (snapshot.Effective[i] >= _options.MinExamples - 1e-9)
            {
                scored.Add(i);
            }
        }

        if (scored.Count == 0)
        {
            return ImageEvidence.Uniform(
                _taxonomy.Count,
                $"image: no label has {_options.MinExamples} learnt examples yet; the photo says nothing");
        }

        var query = Normalized(modelOutput);
        var cosines = new double[scored.Count];
        for (var j = 0; j < scored.Count; j++)
        {
            cosines[j] = VectorMath.Dot(query, snapshot.Centroids[scored[j]]);
        }

        var bestJ = Array.IndexOf(cosines, cosines.Max());
        var bestLabel = _taxonomy.Labels[scored[bestJ]];
        if (cosines[bestJ] < _options.OpenSetThreshold)
        {
            return ImageEvidence.Uniform(
                _taxonomy.Count,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"image: resembles no learnt label (best '{bestLabel.Code}' at cosine {cosines[bestJ]:0.00} < {_options.OpenSetThreshold:0.00}); the photo says nothing"));
        }

        var max = cosines[bestJ] * _options.Scale;
        var weights = cosines.Select(c => Math.Exp((c * _options.Scale) - max)).ToArray();
        var sum = weights.Sum();
        var probabilities = new double[_taxonomy.Count];
        for (var j = 0; j < scored.Count; j++)
        {
            probabilities[scored[j]] = weights[j] / sum;
        }

        var declared = snapshot.DeclaredCounts[bestLabel.Index];
        var reason = string.Create(
            CultureInfo.InvariantCulture,
            $"image: closest to '{bestLabel.Code}' (cosine {cosines[bestJ]:0.00}, p {probabilities[bestLabel.Index]:0.00}; {scored.Count} learnt labels, {snapshot.Counts[bestLabel.Index] - declared} examples of it{(declared > 0 ? $" and {declared} declared" : "")})");
        return new ImageEvidence(probabilities, Informative: true, [reason]);
    }

    internal static float[] Normalized(ReadOnlySpan<float> vector)
    {
        var result = vector.ToArray();
        var norm = MathF.Sqrt(VectorMath.Dot(result, result));
        if (norm > 0 && float.IsFinite(norm))
        {
            for (var i = 0; i < result.Length; i++)
            {
                result[i] /= norm;
            }
        }

        return result;
    }

    /// <param name="Counts">Examples per label, declared ones included.</param>
    /// <param name="DeclaredCounts">Declared examples per label that count.</param>
    /// <param name="Effective">Per label, the weight its examples carry: what <see cref="PrototypeOptions.MinExamples"/> is compared with.</param>
    private sealed record Snapshot(
        IReadOnlyList<PrototypeExample> Examples, HashSet<string> Ids, int[] Counts, int[] DeclaredCounts, double[] Effective, float[][] Centroids)
    {
        public static Snapshot Empty(int labels, int dimension) =>
            new([], [], new int[labels], new int[labels], new double[labels], Enumerable.Range(0, labels).Select(_ => new float[dimension]).ToArray());

        public static Snapshot Build(Taxonomy.Taxonomy taxonomy, List<PrototypeExample> examples, int dimension, double declaredShare)
        {
            var n = taxonomy.Count;
            var counts = new int[n];
            var declaredCounts = new int[n];
            var strongWeight = new double[n];
            var weakWeight = new double[n];
            var strong = Enumerable.Range(0, n).Select(_ => new float[dimension]).ToArray();
            var weak = Enumerable.Range(0, n).Select(_ => new float[dimension]).ToArray();
            var decided = examples.Where(e => !e.Declared && e.ReportId is not null).Select(e => e.ReportId!).ToHashSet(StringComparer.Ordinal);
            foreach (var example in examples)
            {
                var index = taxonomy.Find(example.Label)!.Index;
                counts[index]++;
                if (!example.Declared)
                {
                    strongWeight[index] += example.Weight;
                    VectorMath.AddScaledInPlace(strong[index], example.Embedding, (float)example.Weight);
                }
                else if (example.ReportId is null || !decided.Contains(example.ReportId))
                {
                    declaredCounts[index]++;
                    weakWeight[index] += example.Weight;
                    VectorMath.AddScaledInPlace(weak[index], example.Embedding, (float)example.Weight);
                }
            }

            var effective = new double[n];
            var centroids = new float[n][];
            for (var i = 0; i < n; i++)
            {
                // Declarations together weigh at most a share of what people taught; alone, all they weigh.
                var factor = strongWeight[i] > 0 && weakWeight[i] > 0 ? Math.Min(1, declaredShare * strongWeight[i] / weakWeight[i]) : 1;
                VectorMath.AddScaledInPlace(strong[i], weak[i], (float)factor);
                effective[i] = strongWeight[i] + (factor * weakWeight[i]);

                // Cosine is scale-invariant, so the normalised sum stands for the centroid.
                centroids[i] = Normalized(strong[i]);
            }

            return new Snapshot(examples, examples.Select(e => e.Id).ToHashSet(StringComparer.Ordinal), counts, declaredCounts, effective, centroids);
        }
    }
}
