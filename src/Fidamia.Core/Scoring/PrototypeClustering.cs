namespace Fidamia.Core.Scoring;

/// <summary>
/// Groups a label's normalised embeddings into prototypes: bisecting spherical k-means, weighted, every step in index
/// order so that the same examples in the same order always give the same groups. The most spread group is split in
/// two while there is room and both halves weigh enough; then a few rounds move each example to its nearest group, and
/// a group left too light is dissolved into the others. Seeds are the farthest examples, not random picks: no luck, no
/// seed to agree on between instances.
/// </summary>
public static class PrototypeClustering
{
    private const int SplitRounds = 20;
    private const int RefineRounds = 10;

    /// <summary>The groups, as indexes into <paramref name="vectors"/>: at most <paramref name="maxGroups"/>, each weighing at least <paramref name="minWeight"/> unless there is only one.</summary>
    public static IReadOnlyList<int[]> Group(float[][] vectors, double[] weights, int maxGroups, double minWeight)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(weights.Length, vectors.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroups, 1);
        if (vectors.Length == 0)
        {
            return [];
        }

        var groups = new List<int[]> { Enumerable.Range(0, vectors.Length).ToArray() };
        var unsplittable = new HashSet<int[]>(ReferenceEqualityComparer.Instance);
        while (groups.Count < maxGroups)
        {
            var split = false;
            foreach (var group in groups.Where(g => !unsplittable.Contains(g) && Weight(weights, g) >= 2 * minWeight)
                         .OrderByDescending(g => Dispersion(vectors, weights, g, Centre(vectors, weights, g))).ToList())
            {
                if (Split(vectors, weights, group) is var (a, b) && Weight(weights, a) >= minWeight && Weight(weights, b) >= minWeight)
                {
                    groups[groups.IndexOf(group)] = a;
                    groups.Add(b);
                    split = true;
                    break;
                }

                unsplittable.Add(group);
            }

            if (!split)
            {
                break;
            }
        }

        return groups.Count > 1 ? Refine(vectors, weights, groups, minWeight) : groups;
    }

    /// <summary>Two-means of one group, seeded by its example farthest from its centre and the example farthest from that one.</summary>
    private static (int[] A, int[] B)? Split(float[][] vectors, double[] weights, int[] group)
    {
        var centre = Centre(vectors, weights, group);
        var first = group.MinBy(i => VectorMath.Dot(vectors[i], centre));
        var second = group.MinBy(i => VectorMath.Dot(vectors[i], vectors[first]));
        if (first == second || VectorMath.Dot(vectors[first], vectors[second]) >= 1 - 1e-6)
        {
            // Every example points the same way: nothing to split.
            return null;
        }

        var (ca, cb) = (vectors[first], vectors[second]);
        int[] a = [], b = [];
        for (var round = 0; round < SplitRounds; round++)
        {
            var nextA = group.Where(i => VectorMath.Dot(vectors[i], ca) >= VectorMath.Dot(vectors[i], cb)).ToArray();
            var nextB = group.Except(nextA).ToArray();
            if (nextA.Length == 0 || nextB.Length == 0)
            {
                return null;
            }

            if (nextA.SequenceEqual(a))
            {
                break;
            }

            (a, b) = (nextA, nextB);
            (ca, cb) = (Centre(vectors, weights, a), Centre(vectors, weights, b));
        }

        return (a, b);
    }

    /// <summary>Each example to its nearest group until nothing moves; the lightest group under the minimum weight dissolved meanwhile.</summary>
    private static List<int[]> Refine(float[][] vectors, double[] weights, List<int[]> groups, double minWeight)
    {
        for (var round = 0; round < RefineRounds + groups.Count; round++)
        {
            var next = Assign(vectors, weights, groups);
            var light = next.Where(g => Weight(weights, g) < minWeight).OrderBy(g => Weight(weights, g)).FirstOrDefault();
            if (light is not null && next.Count > 1)
            {
                // Its examples go to their nearest other group on the next round.
                next.Remove(light);
                groups = next;
                continue;
            }

            if (next.Count == groups.Count && next.Zip(groups).All(p => p.First.SequenceEqual(p.Second)))
            {
                return next;
            }

            groups = next;
        }

        return Assign(vectors, weights, groups);
    }

    /// <summary>Every example to the group whose centre is nearest (the first on a tie); groups left empty dropped.</summary>
    private static List<int[]> Assign(float[][] vectors, double[] weights, List<int[]> groups)
    {
        var centres = groups.Select(g => Centre(vectors, weights, g)).ToList();
        var members = centres.Select(_ => new List<int>()).ToList();
        for (var i = 0; i < vectors.Length; i++)
        {
            var nearest = 0;
            var best = VectorMath.Dot(vectors[i], centres[0]);
            for (var g = 1; g < centres.Count; g++)
            {
                if (VectorMath.Dot(vectors[i], centres[g]) is var cosine && cosine > best)
                {
                    (nearest, best) = (g, cosine);
                }
            }

            members[nearest].Add(i);
        }

        return [.. members.Where(m => m.Count > 0).Select(m => m.ToArray())];
    }

    private static double Weight(double[] weights, int[] group) => group.Sum(i => weights[i]);

    private static double Dispersion(float[][] vectors, double[] weights, int[] group, float[] centre) =>
        group.Sum(i => weights[i] * (1 - VectorMath.Dot(vectors[i], centre)));

    private static float[] Centre(float[][] vectors, double[] weights, int[] group)
    {
        var sum = new float[vectors[0].Length];
        foreach (var i in group)
        {
            VectorMath.AddScaledInPlace(sum, vectors[i], (float)weights[i]);
        }

        return PrototypeMemory.Normalized(sum);
    }
}
