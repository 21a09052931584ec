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
/// Learns labels from examples for an embedding model. Each label keeps up to <see cref="PrototypeOptions.PrototypesPerLabel"/>
/// prototypes, the weighted means of groups of its examples (a label whose photos look like several things keeps one per
/// look, where a single centroid would blur them); a photo scores softmax(cosine x scale) over labels with enough
/// examples, a label's cosine being that of its nearest prototype. Declared examples (weak labels) are kept apart: together
/// they weigh at most <see cref="PrototypeOptions.DeclaredShare"/> of a label's operator and seed examples, so people
/// always outweigh them, and a report an operator labelled counts only by the operator's label. Open set: when the best
/// raw cosine is under the threshold, the photo resembles nothing learnt and the image evidence is uniform (a softmax
/// alone never says "unknown").
/// <para>
/// Adding an example costs the same however large the memory is: it joins its label's nearest prototype, or starts one
/// when it resembles none of them (under the open-set threshold), from running sums. <see cref="Consolidate"/> then
/// regroups the labels that changed (bisecting k-means over their examples in id order), so every instance that holds
/// the same examples holds the same prototypes, whatever order it learnt them in.
/// </para>
/// Thread-safe: reads take an immutable snapshot.
/// </summary>
public sealed class PrototypeMemory : IImageScorer
{
    private const double Epsilon = 1e-9;
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
        _snapshot = Snapshot.Empty(taxonomy.Count);
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

    /// <summary>Per label code, the prototypes that hold examples.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<LabelPrototype>> Prototypes =>
        _taxonomy.Labels.Where(l => _snapshot.Labels[l.Index].Count > 0).ToDictionary(
            l => l.Code,
            l => (IReadOnlyList<LabelPrototype>)[.. _snapshot.Labels[l.Index].Prototypes.Where(p => p.Members > 0).Select(p => new LabelPrototype(p.Centre, p.Members, p.Effective))]);

    /// <summary>
    /// Per label that is scored, the vectors <see cref="Score"/> compares a photo with (its prototypes that weigh enough,
    /// else its overall mean): what an exported classifier head must hold to give the same top label.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<float[]>> ScoringVectors()
    {
        var snapshot = _snapshot;
        var vectors = new Dictionary<string, IReadOnlyList<float[]>>(StringComparer.Ordinal);
        foreach (var label in _taxonomy.Labels)
        {
            var state = snapshot.Labels[label.Index];
            if (state.Effective >= _options.MinExamples - Epsilon)
            {
                var eligible = state.Prototypes.Where(p => p.Effective >= _options.MinExamples - Epsilon).Select(p => p.Centre).ToList();
                vectors[label.Code] = eligible.Count > 0 ? eligible : [state.Centroid];
            }
        }

        return vectors;
    }

    /// <summary>Whether some label changed since it was last regrouped.</summary>
    public bool NeedsConsolidation => _snapshot.Labels.Any(l => l.Dirty);

    /// <summary>
    /// Adds examples; ids already present are skipped. Returns how many were added. Only the prototypes the examples touch
    /// are recomputed, from running sums.
    /// </summary>
    public int Add(IEnumerable<PrototypeExample> examples)
    {
        lock (_writeLock)
        {
            var builder = new SnapshotBuilder(_snapshot, _taxonomy, _options, Dimension);
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
                _snapshot = builder.Build();
            }

            return builder.Added;
        }
    }

    /// <summary>
    /// Regroups every label that changed since it was last regrouped: its prototypes become the bisecting k-means of its
    /// counting examples taken in id order, each group weighing at least <see cref="PrototypeOptions.MinExamples"/>.
    /// The work runs outside the writers' lock; a label that changed meanwhile keeps its state and is regrouped next
    /// time. Returns how many labels were regrouped.
    /// </summary>
    public int Consolidate(CancellationToken cancellationToken = default)
    {
        var snapshot = _snapshot;
        var members = new Dictionary<int, List<PrototypeExample>>();
        for (var i = 0; i < snapshot.Labels.Length; i++)
        {
            if (snapshot.Labels[i].Dirty)
            {
                members[i] = [];
            }
        }

        if (members.Count == 0)
        {
            return 0;
        }

        foreach (var example in snapshot.Examples)
        {
            var index = _taxonomy.Find(example.Label)!.Index;
            if (members.TryGetValue(index, out var list) && snapshot.Labels[index].Assigned.ContainsKey(example.Id))
            {
                list.Add(example);
            }
        }

        var regrouped = new List<(int Index, LabelState State)>();
        foreach (var (index, list) in members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            list.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
            regrouped.Add((index, Regroup(snapshot.Labels[index], list)));
        }

        lock (_writeLock)
        {
            var current = _snapshot;
            var labels = current.Labels.ToBuilder();
            var applied = 0;
            foreach (var (index, state) in regrouped)
            {
                if (current.Labels[index].Version == snapshot.Labels[index].Version)
                {
                    labels[index] = state;
                    applied++;
                }
            }

            if (applied > 0)
            {
                _snapshot = current with { Labels = labels.MoveToImmutable() };
            }

            return applied;
        }
    }

    public ImageEvidence Score(ReadOnlySpan<float> modelOutput)
    {
        var snapshot = _snapshot;
        var scored = new List<int>();
        for (var i = 0; i < snapshot.Labels.Length; i++)
        {
            if (snapshot.Labels[i].Effective >= _options.MinExamples - Epsilon)
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
            cosines[j] = snapshot.Labels[scored[j]].Cosine(query, _options.MinExamples);
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

        var best = snapshot.Labels[bestLabel.Index];
        var prototypes = best.Prototypes.Count(p => p.Effective >= _options.MinExamples - Epsilon);
        var reason = string.Create(
            CultureInfo.InvariantCulture,
            $"image: closest to '{bestLabel.Code}' (cosine {cosines[bestJ]:0.00}, p {probabilities[bestLabel.Index]:0.00}; {scored.Count} learnt labels, {best.StrongCount} examples of it{(best.DeclaredCount > 0 ? $" and {best.DeclaredCount} declared" : "")}{(prototypes > 1 ? $" in {prototypes} prototypes" : "")})");
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

    /// <summary>Declarations together weigh at most a share of what people taught; alone, all they weigh.</summary>
    private static double DeclaredFactor(double strongWeight, double weakWeight, double declaredShare) =>
        strongWeight > 0 && weakWeight > 0 ? Math.Min(1, declaredShare * strongWeight / weakWeight) : 1;

    private LabelState Regroup(LabelState state, List<PrototypeExample> members)
    {
        double strongWeight = 0, weakWeight = 0;
        foreach (var member in members)
        {
            if (member.Declared)
            {
                weakWeight += member.Weight;
            }
            else
            {
                strongWeight += member.Weight;
            }
        }

        var factor = DeclaredFactor(strongWeight, weakWeight, _options.DeclaredShare);
        var weights = members.Select(m => m.Declared ? factor * m.Weight : m.Weight).ToArray();
        var groups = PrototypeClustering.Group(
            [.. members.Select(m => m.Embedding)], weights, _options.PrototypesPerLabel, _options.MinExamples - Epsilon);
        var prototypes = ImmutableArray.CreateBuilder<Prototype>(groups.Count);
        var assigned = ImmutableDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        for (var g = 0; g < groups.Count; g++)
        {
            var prototype = Prototype.Empty(Dimension);
            foreach (var i in groups[g])
            {
                prototype.Include(members[i], 1);
                assigned[members[i].Id] = g;
            }

            prototype.Recompute(factor);
            prototypes.Add(prototype);
        }

        return state.Summed(prototypes.MoveToImmutable(), assigned.ToImmutable(), _options.DeclaredShare) with { Dirty = false };
    }

    /// <summary>A prototype of a label, as <see cref="Prototypes"/> shows it.</summary>
    /// <param name="Centre">Its normalised weighted mean.</param>
    /// <param name="Members">The examples it holds.</param>
    /// <param name="Weight">What they weigh (declarations discounted): scored from <see cref="PrototypeOptions.MinExamples"/>.</param>
    public sealed record LabelPrototype(float[] Centre, int Members, double Weight);

    /// <summary>One group of a label's examples: running sums, kept apart for operator/seed and declared examples.</summary>
    private sealed class Prototype
    {
        public required float[] Strong { get; init; }

        public required float[] Weak { get; init; }

        public double StrongWeight { get; private set; }

        public double WeakWeight { get; private set; }

        public int Members { get; private set; }

        public float[] Centre { get; private set; } = [];

        public double Effective { get; private set; }

        public static Prototype Empty(int dimension) => new() { Strong = new float[dimension], Weak = new float[dimension] };

        public Prototype Clone() => new()
        {
            Strong = (float[])Strong.Clone(), Weak = (float[])Weak.Clone(), StrongWeight = StrongWeight, WeakWeight = WeakWeight,
            Members = Members, Centre = Centre, Effective = Effective,
        };

        /// <summary>Adds (sign 1) or takes out (sign -1) an example.</summary>
        public void Include(PrototypeExample example, int sign)
        {
            if (example.Declared)
            {
                VectorMath.AddScaledInPlace(Weak, example.Embedding, sign * (float)example.Weight);
                WeakWeight = Math.Max(0, WeakWeight + (sign * example.Weight));
            }
            else
            {
                VectorMath.AddScaledInPlace(Strong, example.Embedding, sign * (float)example.Weight);
                StrongWeight = Math.Max(0, StrongWeight + (sign * example.Weight));
            }

            Members += sign;
        }

        public void Recompute(double factor)
        {
            var sum = (float[])Strong.Clone();
            VectorMath.AddScaledInPlace(sum, Weak, (float)factor);

            // Cosine is scale-invariant, so the normalised sum stands for the mean.
            Centre = Members > 0 ? Normalized(sum) : [];
            Effective = Members > 0 ? StrongWeight + (factor * WeakWeight) : 0;
        }
    }

    /// <summary>One label: its prototypes and what they sum to.</summary>
    /// <param name="Assigned">The prototype of each example that counts (declarations of reports an operator decided do not).</param>
    /// <param name="Count">Examples, declared ones included.</param>
    /// <param name="StrongCount">Operator and seed examples.</param>
    /// <param name="DeclaredCount">Declared examples that count.</param>
    /// <param name="Centroid">The label's overall mean: scored while no prototype weighs enough on its own.</param>
    /// <param name="Effective">The weight its examples carry: what <see cref="PrototypeOptions.MinExamples"/> is compared with.</param>
    /// <param name="Version">Changes with every addition: a regrouping computed from an older version is dropped.</param>
    /// <param name="Dirty">Changed since last regrouped.</param>
    private sealed record LabelState(
        ImmutableArray<Prototype> Prototypes, ImmutableDictionary<string, int> Assigned, int Count, int StrongCount, int DeclaredCount,
        float[] Centroid, double Effective, long Version, bool Dirty)
    {
        public static LabelState Empty { get; } = new([], ImmutableDictionary.Create<string, int>(StringComparer.Ordinal), 0, 0, 0, [], 0, 0, false);

        /// <summary>The nearest scored prototype's cosine; the overall mean's while none weighs enough.</summary>
        public double Cosine(float[] query, int minExamples)
        {
            var best = double.NegativeInfinity;
            foreach (var prototype in Prototypes)
            {
                if (prototype.Effective >= minExamples - Epsilon)
                {
                    best = Math.Max(best, VectorMath.Dot(query, prototype.Centre));
                }
            }

            return double.IsNegativeInfinity(best) ? VectorMath.Dot(query, Centroid) : best;
        }

        /// <summary>This label with these prototypes, their centres and the label's totals recomputed.</summary>
        public LabelState Summed(ImmutableArray<Prototype> prototypes, ImmutableDictionary<string, int> assigned, double declaredShare)
        {
            double strongWeight = 0, weakWeight = 0;
            foreach (var prototype in prototypes)
            {
                strongWeight += prototype.StrongWeight;
                weakWeight += prototype.WeakWeight;
            }

            var factor = DeclaredFactor(strongWeight, weakWeight, declaredShare);
            var sum = new float[prototypes.IsEmpty ? 0 : prototypes[0].Strong.Length];
            foreach (var prototype in prototypes)
            {
                prototype.Recompute(factor);
                VectorMath.AddInPlace(sum, prototype.Strong);
                VectorMath.AddScaledInPlace(sum, prototype.Weak, (float)factor);
            }

            return this with
            {
                Prototypes = prototypes, Assigned = assigned, Centroid = Normalized(sum), Effective = strongWeight + (factor * weakWeight),
            };
        }
    }

    private sealed record Snapshot(
        ImmutableList<PrototypeExample> Examples, ImmutableHashSet<string> Ids, ImmutableArray<LabelState> Labels,
        ImmutableDictionary<string, PrototypeExample> DeclaredByReport, ImmutableHashSet<string> DecidedReports)
    {
        public static Snapshot Empty(int labels) => new(
            [], ImmutableHashSet.Create<string>(StringComparer.Ordinal), [.. Enumerable.Repeat(LabelState.Empty, labels)],
            ImmutableDictionary.Create<string, PrototypeExample>(StringComparer.Ordinal), ImmutableHashSet.Create<string>(StringComparer.Ordinal));
    }

    /// <summary>The next snapshot: labels copied when first touched, the rest shared with the current one.</summary>
    private sealed class SnapshotBuilder(Snapshot current, Taxonomy.Taxonomy taxonomy, PrototypeOptions options, int dimension)
    {
        private readonly ImmutableList<PrototypeExample>.Builder _examples = current.Examples.ToBuilder();
        private readonly ImmutableHashSet<string>.Builder _ids = current.Ids.ToBuilder();
        private readonly ImmutableArray<LabelState>.Builder _labels = current.Labels.ToBuilder();
        private readonly ImmutableDictionary<string, PrototypeExample>.Builder _declared = current.DeclaredByReport.ToBuilder();
        private readonly ImmutableHashSet<string>.Builder _decided = current.DecidedReports.ToBuilder();
        private readonly Dictionary<int, Working> _touched = [];

        public int Added { get; private set; }

        public bool Contains(string id) => _ids.Contains(id);

        public void Add(int index, PrototypeExample example)
        {
            _examples.Add(example);
            _ids.Add(example.Id);
            Added++;
            var label = Touch(index);
            label.Count++;
            if (!example.Declared)
            {
                label.StrongCount++;
                label.Place(example);
                if (example.ReportId is { } report && _decided.Add(report) && _declared.TryGetValue(report, out var declared))
                {
                    // An operator decided this report: its declaration counts no more, whatever label it named.
                    var declaredLabel = Touch(taxonomy.Find(declared.Label)!.Index);
                    declaredLabel.Take(declared);
                    declaredLabel.DeclaredCount--;
                    _declared.Remove(report);
                }
            }
            else if (example.ReportId is null || !_decided.Contains(example.ReportId))
            {
                label.DeclaredCount++;
                label.Place(example);
                if (example.ReportId is { } report)
                {
                    _declared[report] = example;
                }
            }
        }

        public Snapshot Build()
        {
            foreach (var (index, label) in _touched)
            {
                _labels[index] = label.Build(_labels[index], options.DeclaredShare);
            }

            return new Snapshot(_examples.ToImmutable(), _ids.ToImmutable(), _labels.MoveToImmutable(), _declared.ToImmutable(), _decided.ToImmutable());
        }

        /// <summary>The label's prototypes with sums of their own, copied once per build.</summary>
        private Working Touch(int index)
        {
            if (!_touched.TryGetValue(index, out var label))
            {
                label = new Working(_labels[index], options, dimension);
                _touched[index] = label;
            }

            return label;
        }
    }

    /// <summary>A label being changed: its own copies of the prototypes' sums.</summary>
    private sealed class Working(LabelState state, PrototypeOptions options, int dimension)
    {
        private readonly List<Prototype> _prototypes = [.. state.Prototypes.Select(p => p.Clone())];
        private readonly ImmutableDictionary<string, int>.Builder _assigned = state.Assigned.ToBuilder();

        public int Count { get; set; } = state.Count;

        public int StrongCount { get; set; } = state.StrongCount;

        public int DeclaredCount { get; set; } = state.DeclaredCount;

        /// <summary>The nearest prototype takes the example; one that resembles none of them starts its own while there is room.</summary>
        public void Place(PrototypeExample example)
        {
            var nearest = -1;
            var best = double.NegativeInfinity;
            for (var p = 0; p < _prototypes.Count; p++)
            {
                if (_prototypes[p].Members > 0 && VectorMath.Dot(example.Embedding, _prototypes[p].Centre) is var cosine && cosine > best)
                {
                    (nearest, best) = (p, cosine);
                }
            }

            if (nearest < 0 || best < options.OpenSetThreshold)
            {
                var empty = _prototypes.FindIndex(p => p.Members == 0);
                if (empty >= 0)
                {
                    nearest = empty;
                }
                else if (_prototypes.Count < options.PrototypesPerLabel)
                {
                    _prototypes.Add(Prototype.Empty(dimension));
                    nearest = _prototypes.Count - 1;
                }
            }

            _prototypes[nearest].Include(example, 1);

            // Undiscounted until the build: the centre only guides where the next examples of this batch go.
            _prototypes[nearest].Recompute(1);
            _assigned[example.Id] = nearest;
        }

        public void Take(PrototypeExample example)
        {
            if (_assigned.TryGetValue(example.Id, out var p))
            {
                _prototypes[p].Include(example, -1);
                _prototypes[p].Recompute(1);
                _assigned.Remove(example.Id);
            }
        }

        public LabelState Build(LabelState state, double declaredShare) =>
            (state with { Count = Count, StrongCount = StrongCount, DeclaredCount = DeclaredCount, Version = state.Version + 1, Dirty = true })
                .Summed([.. _prototypes], _assigned.ToImmutable(), declaredShare);
    }
}
