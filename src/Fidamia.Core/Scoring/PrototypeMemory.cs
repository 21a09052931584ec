using System.Collections.Immutable;
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
        _taxonomy.Labels.Where(l => _snapshot.Labels[l.Index].Count > 0).ToDictionary(l => l.Code, l => _snapshot.Labels[l.Index].Count);

    /// <summary>
    /// Adds examples; ids already present are skipped. Returns how many were added. Only the labels the examples touch are
    /// recomputed, from running sums: adding one example costs the same however large the memory is.
    /// </summary>
    public int Add(IEnumerable<PrototypeExample> examples)
    {
        lock (_writeLock)
        {
            var snapshot = _snapshot;
            var builder = new SnapshotBuilder(snapshot, _taxonomy);
            foreach (var example in examples)
            {
                if (_taxonomy.Find(example.Label) is not { } label)
                {
                    throw new ArgumentException($"example '{example.Id}': label '{example.Label}' is not in the taxonomy", nameof(examples));
                }

                if (example.Embedding.Length != Dimension)
                {
                    throw new ArgumentException(
                        $"example '{example.Id}': embedding has {example.Embedding.Length} dimensions, the model gives {Dimension}", nameof(examples));
                }

                if (!builder.Contains(example.Id))
                {
                    builder.Add(label.Index, example with { Embedding = Normalized(example.Embedding) });
                }
            }

            if (builder.Added > 0)
            {
                _snapshot = builder.Build(_options.DeclaredShare);
            }

            return builder.Added;
        }
    }

    public ImageEvidence Score(ReadOnlySpan<float> modelOutput)
    {
        var snapshot = _snapshot;
        var scored = new List<int>();
        for (var i = 0; i < snapshot.Labels.Length; i++)
        {
            if (snapshot.Labels[i].Effective >= _options.MinExamples - 1e-9)
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
            cosines[j] = VectorMath.Dot(query, snapshot.Labels[scored[j]].Centroid);
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

        var declared = snapshot.Labels[bestLabel.Index].DeclaredCount;
        var reason = string.Create(
            CultureInfo.InvariantCulture,
            $"image: closest to '{bestLabel.Code}' (cosine {cosines[bestJ]:0.00}, p {probabilities[bestLabel.Index]:0.00}; {scored.Count} learnt labels, {snapshot.Labels[bestLabel.Index].StrongCount} examples of it{(declared > 0 ? $" and {declared} declared" : "")})");
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

    /// <summary>One label's running sums: what its centroid and weight are computed from.</summary>
    /// <param name="Count">Examples, declared ones included.</param>
    /// <param name="DeclaredCount">Declared examples that count (those of reports no operator decided).</param>
    /// <param name="Effective">The weight its examples carry: what <see cref="PrototypeOptions.MinExamples"/> is compared with.</param>
    /// <param name="StrongCount">Operator and seed examples.</param>
    private sealed record LabelState(
        float[] Strong, double StrongWeight, float[] Weak, double WeakWeight, int Count, int StrongCount, int DeclaredCount, float[] Centroid, double Effective)
    {
        public static LabelState Empty(int dimension) => new(new float[dimension], 0, new float[dimension], 0, 0, 0, 0, new float[dimension], 0);

        /// <summary>Declarations together weigh at most a share of what people taught; alone, all they weigh.</summary>
        public LabelState Recomputed(double declaredShare)
        {
            var factor = StrongWeight > 0 && WeakWeight > 0 ? Math.Min(1, declaredShare * StrongWeight / WeakWeight) : 1;
            var sum = (float[])Strong.Clone();
            VectorMath.AddScaledInPlace(sum, Weak, (float)factor);

            // Cosine is scale-invariant, so the normalised sum stands for the centroid.
            return this with { Centroid = Normalized(sum), Effective = StrongWeight + (factor * WeakWeight) };
        }
    }

    private sealed record Snapshot(
        ImmutableList<PrototypeExample> Examples, ImmutableHashSet<string> Ids, ImmutableArray<LabelState> Labels,
        ImmutableDictionary<string, PrototypeExample> DeclaredByReport, ImmutableHashSet<string> DecidedReports)
    {
        public static Snapshot Empty(int labels, int dimension) => new(
            [], ImmutableHashSet.Create<string>(StringComparer.Ordinal), [.. Enumerable.Range(0, labels).Select(_ => LabelState.Empty(dimension))],
            ImmutableDictionary.Create<string, PrototypeExample>(StringComparer.Ordinal), ImmutableHashSet.Create<string>(StringComparer.Ordinal));
    }

    /// <summary>The next snapshot: labels copied when first touched, the rest shared with the current one.</summary>
    private sealed class SnapshotBuilder(Snapshot current, Taxonomy.Taxonomy taxonomy)
    {
        private readonly ImmutableList<PrototypeExample>.Builder _examples = current.Examples.ToBuilder();
        private readonly ImmutableHashSet<string>.Builder _ids = current.Ids.ToBuilder();
        private readonly ImmutableArray<LabelState>.Builder _labels = current.Labels.ToBuilder();
        private readonly ImmutableDictionary<string, PrototypeExample>.Builder _declared = current.DeclaredByReport.ToBuilder();
        private readonly ImmutableHashSet<string>.Builder _decided = current.DecidedReports.ToBuilder();
        private readonly HashSet<int> _touched = [];

        public int Added { get; private set; }

        public bool Contains(string id) => _ids.Contains(id);

        public void Add(int index, PrototypeExample example)
        {
            _examples.Add(example);
            _ids.Add(example.Id);
            Added++;
            var label = Touch(index);
            if (!example.Declared)
            {
                VectorMath.AddScaledInPlace(label.Strong, example.Embedding, (float)example.Weight);
                label = label with { StrongWeight = label.StrongWeight + example.Weight, Count = label.Count + 1, StrongCount = label.StrongCount + 1 };
                _labels[index] = label;
                if (example.ReportId is { } report && _decided.Add(report) && _declared.TryGetValue(report, out var declared))
                {
                    // An operator decided this report: its declaration counts no more, whatever label it named.
                    Remove(declared);
                }
            }
            else
            {
                label = label with { Count = label.Count + 1 };
                if (example.ReportId is null || !_decided.Contains(example.ReportId))
                {
                    VectorMath.AddScaledInPlace(label.Weak, example.Embedding, (float)example.Weight);
                    label = label with { WeakWeight = label.WeakWeight + example.Weight, DeclaredCount = label.DeclaredCount + 1 };
                    if (example.ReportId is { } report)
                    {
                        _declared[report] = example;
                    }
                }

                _labels[index] = label;
            }
        }

        public Snapshot Build(double declaredShare)
        {
            foreach (var index in _touched)
            {
                _labels[index] = _labels[index].Recomputed(declaredShare);
            }

            return new Snapshot(_examples.ToImmutable(), _ids.ToImmutable(), _labels.MoveToImmutable(), _declared.ToImmutable(), _decided.ToImmutable());
        }

        private void Remove(PrototypeExample declared)
        {
            var index = taxonomy.Find(declared.Label)!.Index;
            var label = Touch(index);
            VectorMath.AddScaledInPlace(label.Weak, declared.Embedding, -(float)declared.Weight);
            _labels[index] = label with { WeakWeight = Math.Max(0, label.WeakWeight - declared.Weight), DeclaredCount = label.DeclaredCount - 1 };
            _declared.Remove(declared.ReportId!);
        }

        /// <summary>The label's state with sums of its own, copied once per build.</summary>
        private LabelState Touch(int index)
        {
            var label = _labels[index];
            if (_touched.Add(index))
            {
                label = label with { Strong = (float[])label.Strong.Clone(), Weak = (float[])label.Weak.Clone() };
                _labels[index] = label;
            }

            return label;
        }
    }
}
