using Fidamia.Core.Scoring;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public class PrototypeMemoryTests
{
    private static PrototypeMemory Memory(int minExamples = 2, double scale = 10, double openSet = 0.7, int prototypes = 4, int dimension = 3) =>
        new(TestTaxonomy.Small(), Options.Create(new PrototypeOptions
        {
            MinExamples = minExamples, Scale = scale, OpenSetThreshold = openSet, PrototypesPerLabel = prototypes,
        }), dimension);

    private static PrototypeExample Example(string id, string label, params float[] embedding) => new(id, label, embedding);

    [Fact]
    public void Score_EmptyMemory_IsUniformAndSaysSo()
    {
        var evidence = Memory().Score([1, 0, 0]);

        Assert.False(evidence.Informative);
        Assert.All(evidence.Probabilities, p => Assert.Equal(0.25, p, 12));
        Assert.Contains("learnt examples", evidence.Explanation[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Score_LabelBelowMinExamples_IsNotScored()
    {
        var memory = Memory(minExamples: 2);
        memory.Add([Example("a", "graffiti", 1, 0, 0)]);

        Assert.False(memory.Score([1, 0, 0]).Informative);
    }

    [Fact]
    public void Score_TwoLearntLabels_IsSoftmaxOfScaledCosinesToNormalisedCentroids()
    {
        var memory = Memory(minExamples: 2, scale: 10, openSet: 0.5);
        // graffiti centroid: mean of (1,0,0) and (0.8,0.6,0) normalised; nid_de_poule: (0,1,0) twice.
        memory.Add(
        [
            Example("g1", "graffiti", 2, 0, 0),
            Example("g2", "graffiti", 0.8f, 0.6f, 0),
            Example("n1", "nid_de_poule", 0, 1, 0),
            Example("n2", "nid_de_poule", 0, 3, 0),
        ]);

        var evidence = memory.Score([1, 0, 0]);

        var g = new[] { 1.8, 0.6, 0.0 };
        var cosG = g[0] / Math.Sqrt((g[0] * g[0]) + (g[1] * g[1]));
        var cosN = 0.0;
        var expectedG = Math.Exp(10 * cosG) / (Math.Exp(10 * cosG) + Math.Exp(10 * cosN));
        Assert.True(evidence.Informative);
        Assert.Equal(expectedG, evidence.Probabilities[2], 6);
        Assert.Equal(1 - expectedG, evidence.Probabilities[0], 6);
        Assert.Equal(0, evidence.Probabilities[1]);
        Assert.Equal(0, evidence.Probabilities[3]);
    }

    [Fact]
    public void Score_BestCosineUnderOpenSetThreshold_IsUniform()
    {
        var memory = Memory(minExamples: 1, openSet: 0.7);
        memory.Add([Example("g", "graffiti", 1, 0, 0)]);

        // cosine with (1,1,0) is 0.707 > 0.7; with (1,2,0) it is 0.447.
        Assert.True(memory.Score([1, 1, 0]).Informative);
        var unknown = memory.Score([1, 2, 0]);
        Assert.False(unknown.Informative);
        Assert.Contains("resembles no learnt label", unknown.Explanation[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Add_SameIdTwice_LearnsOnce()
    {
        var memory = Memory();

        var first = memory.Add([Example("x", "graffiti", 1, 0, 0)]);
        var second = memory.Add([Example("x", "graffiti", 0, 1, 0)]);

        Assert.Equal(1, first);
        Assert.Equal(0, second);
        Assert.Equal(1, memory.Count);
    }

    [Fact]
    public void Add_WrongDimensionOrUnknownLabel_Throws()
    {
        var memory = Memory();

        Assert.Throws<ArgumentException>(() => memory.Add([Example("x", "graffiti", 1, 0)]));
        Assert.Throws<ArgumentException>(() => memory.Add([Example("y", "licorne", 1, 0, 0)]));
    }

    [Fact]
    public void Store_SaveThenLoad_RoundTripsTheExamples()
    {
        var directory = Directory.CreateTempSubdirectory("fidamia-prototypes-").FullName;
        try
        {
            var store = new PrototypeJsonFile(directory);
            var memory = Memory();
            memory.Add([Example("g1", "graffiti", 3, 4, 0), Example("n1", "nid_de_poule", 0, 0, 2)]);

            store.Save("resnet18", memory.Examples);
            var loaded = store.Load("resnet18");

            Assert.Equal(["g1", "n1"], loaded.Select(e => e.Id));
            Assert.Equal([0.6f, 0.8f, 0f], loaded[0].Embedding);
            Assert.Empty(store.Load("another-model"));
            Assert.False(File.Exists(store.PathFor("resnet18") + ".tmp"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static PrototypeExample Declared(string report, string label, double weight, params float[] embedding) =>
        new($"declared:{report}", label, embedding) { Declared = true, Weight = weight, ReportId = report };

    [Fact]
    public void Score_DeclaredExamplesAlone_CountByTheirWeight()
    {
        var memory = Memory(minExamples: 2, openSet: 0.5);
        memory.Add([Declared("r1", "graffiti", 0.5, 1, 0, 0), Declared("r2", "graffiti", 0.5, 1, 0, 0), Declared("r3", "graffiti", 0.5, 1, 0, 0)]);
        var threeHalves = memory.Score([1, 0, 0]).Informative;
        memory.Add([Declared("r4", "graffiti", 0.5, 1, 0, 0)]);

        Assert.False(threeHalves);
        var evidence = memory.Score([1, 0, 0]);
        Assert.True(evidence.Informative);
        Assert.Contains("0 examples of it and 4 declared", evidence.Explanation[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Score_OperatorExamplesOutweighAnyNumberOfDeclarations()
    {
        var memory = Memory(minExamples: 1, openSet: -1);
        // One operator example of graffiti along x; forty declarations (say, wrong ones) along y.
        memory.Add([Example("op", "graffiti", 1, 0, 0), .. Enumerable.Range(0, 40).Select(i => Declared($"d{i}", "graffiti", 0.25, 0, 1, 0))]);
        memory.Add([Example("n1", "nid_de_poule", 0, 0, 1)]);

        var alongX = memory.Score([1, 0, 0]);
        var alongY = memory.Score([0, 1, 0]);

        // The declarations together weigh half the operator's example: the centroid leans to x.
        var graffiti = TestTaxonomy.Small().Find("graffiti")!.Index;
        Assert.True(alongX.Probabilities[graffiti] > alongY.Probabilities[graffiti]);
    }

    [Fact]
    public void Add_OperatorExampleOfAReport_ReplacesItsDeclaredOne()
    {
        var memory = Memory(minExamples: 1, openSet: -1);
        memory.Add([Declared("r1", "graffiti", 1, 1, 0, 0), Example("n1", "nid_de_poule", 0, 1, 0)]);
        var before = memory.Score([1, 0, 0]).Informative && memory.CountsByLabel.ContainsKey("graffiti");

        // The operator said the report is a pothole: its declaration no longer makes it a graffiti.
        memory.Add([new PrototypeExample("report:r1", "nid_de_poule", [1, 0, 0]) { ReportId = "r1" }]);
        var evidence = memory.Score([1, 0, 0]);

        Assert.True(before);
        var taxonomy = TestTaxonomy.Small();
        Assert.Equal(0, evidence.Probabilities[taxonomy.Find("graffiti")!.Index]);
        Assert.True(evidence.Probabilities[taxonomy.Find("nid_de_poule")!.Index] > 0.99);
    }

    [Fact]
    public void Add_DeclaredExampleOfAReportAnOperatorDecided_ArrivingLater_CountsForNothing()
    {
        // Instances read the store in their own order: the operator's example may come first.
        var memory = Memory(minExamples: 1, openSet: -1);
        memory.Add([new PrototypeExample("report:r1", "nid_de_poule", [1, 0, 0]) { ReportId = "r1" }]);
        memory.Add([Declared("r1", "graffiti", 1, 1, 0, 0)]);

        var evidence = memory.Score([1, 0, 0]);

        Assert.Equal(2, memory.Count);
        Assert.Equal(0, evidence.Probabilities[TestTaxonomy.Small().Find("graffiti")!.Index]);
    }

    /// <summary>Examples around a direction, each a little off it (deterministic).</summary>
    private static IEnumerable<PrototypeExample> Around(string prefix, string label, int count, params float[] direction)
    {
        for (var i = 0; i < count; i++)
        {
            var jittered = direction.Select((v, d) => v + (0.05f * ((((i * 7) + (d * 3)) % 5) - 2))).ToArray();
            yield return new PrototypeExample($"{prefix}{i}", label, jittered);
        }
    }

    [Fact]
    public void Score_LabelOfTwoLooks_EachLookKeepsItsPrototype_WhereOneCentroidBlursThem()
    {
        // Graffiti photos look like x or like y; potholes like the diagonal between them, where graffiti's centroid falls.
        PrototypeExample[] examples = [.. Around("gx", "graffiti", 4, 1, 0, 0), .. Around("gy", "graffiti", 4, 0, 1, 0), .. Around("n", "nid_de_poule", 4, 1, 1, 0)];
        var several = Memory(minExamples: 3, openSet: 0.5);
        var centroid = Memory(minExamples: 3, openSet: 0.5, prototypes: 1);
        several.Add(examples);
        centroid.Add(examples);
        var graffiti = TestTaxonomy.Small().Find("graffiti")!.Index;

        var withPrototypes = several.Score([1, 0.05f, 0]);
        var withCentroid = centroid.Score([1, 0.05f, 0]);

        Assert.Equal(2, several.Prototypes["graffiti"].Count);
        Assert.True(withPrototypes.Probabilities[graffiti] > 0.9, $"p {withPrototypes.Probabilities[graffiti]}");
        Assert.True(withCentroid.Probabilities[graffiti] < 0.6, $"p {withCentroid.Probabilities[graffiti]}");
        Assert.Contains("in 2 prototypes", withPrototypes.Explanation[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Score_NewLookWithFewerThanMinExamples_IsNotScoredYet()
    {
        var memory = Memory(minExamples: 3, openSet: 0.5);
        memory.Add([.. Around("gx", "graffiti", 3, 1, 0, 0), .. Around("gy", "graffiti", 2, 0, 1, 0)]);
        var early = memory.Score([0, 1, 0]);
        memory.Add(Around("gy", "graffiti", 3, 0, 1, 0).Skip(2));

        // Two examples of the new look are not enough (the label's other look is under the open-set threshold); three are.
        Assert.False(early.Informative);
        Assert.True(memory.Score([0, 1, 0]).Informative);
    }

    [Fact]
    public void Score_DeclarationsMakingALookOfTheirOwn_DoNotWeighEnoughToBeScored()
    {
        var memory = Memory(minExamples: 3, openSet: 0.3);
        // Three operator examples along x; forty declarations along y weigh at most half of them (1.5 < 3).
        memory.Add([.. Around("op", "graffiti", 3, 1, 0, 0), .. Enumerable.Range(0, 40).Select(i => Declared($"d{i}", "graffiti", 0.25, 0, 1, 0))]);

        Assert.False(memory.Score([0, 1, 0]).Informative);
        Assert.True(memory.Score([1, 0, 0]).Informative);
    }

    [Fact]
    public void Consolidate_SplitsALabelWhoseLooksArrivedMixed_IntoPrototypesOfAtLeastMinExamples()
    {
        // Under an open-set threshold of -1 every example joins the label's first prototype as it comes.
        var memory = Memory(minExamples: 3, openSet: -1);
        memory.Add([.. Around("gx", "graffiti", 4, 1, 0, 0), .. Around("gy", "graffiti", 4, 0, 1, 0)]);
        var before = memory.Prototypes["graffiti"].Count;

        var regrouped = memory.Consolidate();

        Assert.Equal(1, before);
        Assert.Equal(1, regrouped);
        Assert.False(memory.NeedsConsolidation);
        var prototypes = memory.Prototypes["graffiti"];
        Assert.Equal(2, prototypes.Count);
        Assert.All(prototypes, p => Assert.Equal(4, p.Members));
        Assert.Contains(prototypes, p => p.Centre[0] > 0.99);
        Assert.Contains(prototypes, p => p.Centre[1] > 0.99);
    }

    [Fact]
    public void Consolidate_RandomExamples_NoPrototypeLighterThanMinExamples_NoneLost()
    {
        var random = new Random(11);
        var memory = Memory(minExamples: 3, openSet: 0.9, dimension: 8);
        memory.Add(Enumerable.Range(0, 40).Select(i => new PrototypeExample($"e{i}", "graffiti", [.. Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble() - 0.5f)])));

        memory.Consolidate();

        var prototypes = memory.Prototypes["graffiti"];
        Assert.InRange(prototypes.Count, 2, 4);
        Assert.All(prototypes, p => Assert.True(p.Weight >= 3, $"weight {p.Weight}"));
        Assert.Equal(40, prototypes.Sum(p => p.Members));
    }

    [Fact]
    public void Consolidate_SameExamplesInAnotherOrder_GivesTheSamePrototypesBitForBit()
    {
        var random = new Random(5);
        var examples = Enumerable.Range(0, 90).Select(i =>
        {
            var centre = (i % 3) switch { 0 => new[] { 1f, 0, 0, 0, 0, 0 }, 1 => [0, 1f, 0, 0, 0, 0], _ => [0, 0, 1f, 1f, 0, 0] };
            return new PrototypeExample($"e{i:00}", i % 2 == 0 ? "graffiti" : "nid_de_poule", [.. centre.Select(v => v + (0.3f * ((float)random.NextDouble() - 0.5f)))]);
        }).ToList();
        var (first, second) = (Memory(openSet: 0.8, dimension: 6), Memory(openSet: 0.8, dimension: 6));
        first.Add(examples);
        foreach (var chunk in Enumerable.Reverse(examples).Chunk(7))
        {
            second.Add(chunk);
        }

        first.Consolidate();
        second.Consolidate();

        foreach (var label in new[] { "graffiti", "nid_de_poule" })
        {
            var (a, b) = (first.Prototypes[label], second.Prototypes[label]);
            Assert.Equal(a.Count, b.Count);
            Assert.All(a.Zip(b), p =>
            {
                Assert.Equal(p.First.Members, p.Second.Members);
                Assert.Equal(p.First.Centre, p.Second.Centre);
            });
        }

        Assert.Equal(first.Score([1, 0, 0, 0, 0, 0]).Probabilities, second.Score([1, 0, 0, 0, 0, 0]).Probabilities);
    }

    [Fact]
    public async Task Consolidate_WhileExamplesArrive_LosesNone()
    {
        var memory = Memory(minExamples: 2, openSet: 0.8, dimension: 32);
        var random = new Random(3);
        var examples = Enumerable.Range(0, 1500).Select(i => new PrototypeExample($"e{i}", "graffiti", [.. Enumerable.Range(0, 32).Select(_ => (float)random.NextDouble() - 0.5f)])).ToList();
        using var done = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var regrouping = Task.Run(() =>
        {
            started.TrySetResult();
            while (!done.IsCancellationRequested)
            {
                memory.Consolidate();
            }
        });
        await started.Task;

        foreach (var example in examples)
        {
            memory.Add([example]);
        }

        await done.CancelAsync();
        await regrouping;
        memory.Consolidate();

        // A regrouping computed from an older state would drop what was added meanwhile.
        Assert.Equal(1500, memory.Prototypes["graffiti"].Sum(p => p.Members));
    }

    [Fact]
    public void Consolidate_AfterAnOperatorReplacedADeclaration_TheDeclarationStaysOut()
    {
        var memory = Memory(minExamples: 1, openSet: -1);
        memory.Add([Declared("r1", "graffiti", 1, 1, 0, 0), Declared("r2", "graffiti", 1, 0.9f, 0.1f, 0)]);
        memory.Add([new PrototypeExample("report:r1", "nid_de_poule", [1, 0, 0]) { ReportId = "r1" }]);

        memory.Consolidate();

        Assert.Equal(1, memory.Prototypes["graffiti"].Sum(p => p.Members));
        Assert.Equal(1, memory.Prototypes["nid_de_poule"].Sum(p => p.Members));
    }
}
