using Fidamia.Core.Scoring;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public class PrototypeMemoryTests
{
    private static PrototypeMemory Memory(int minExamples = 2, double scale = 10, double openSet = 0.7) =>
        new(TestTaxonomy.Small(), Options.Create(new PrototypeOptions { MinExamples = minExamples, Scale = scale, OpenSetThreshold = openSet }), 3);

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
}
