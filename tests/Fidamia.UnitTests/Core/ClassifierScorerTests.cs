using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;

namespace Fidamia.UnitTests.Core;

public class ClassifierScorerTests
{
    private static ModelDescriptor Classifier(ModelOutputKind kind, double temperature, params string[] labels) => new(
        "tiny", "1", ModelKind.Classifier,
        new TensorSpec(2, 2, ColorOrder.Rgb, 1, [0, 0, 0], [1, 1, 1], ResizeMode.Stretch),
        kind, labels.Length, labels, new Dictionary<string, double>(), temperature);

    [Fact]
    public void Score_Logits_IsSoftmaxAtTemperatureMappedOntoTheTaxonomy()
    {
        var scorer = new ClassifierScorer(TestTaxonomy.Small(), Classifier(ModelOutputKind.Logits, 2, "graffiti", "nid_de_poule"));

        var evidence = scorer.Score([2f, 0f]);

        var expected = Math.Exp(1) / (Math.Exp(1) + 1);
        Assert.Equal(expected, evidence.Probabilities[2], 9);
        Assert.Equal(1 - expected, evidence.Probabilities[0], 9);
        Assert.Equal(0, evidence.Probabilities[1]);
    }

    [Fact]
    public void Score_ProbabilitiesAtTemperatureOne_AreKept()
    {
        var scorer = new ClassifierScorer(TestTaxonomy.Small(), Classifier(ModelOutputKind.Probabilities, 1, "graffiti", "trottoir"));

        var evidence = scorer.Score([0.9f, 0.1f]);

        Assert.Equal(0.9, evidence.Probabilities[2], 6);
        Assert.Equal(0.1, evidence.Probabilities[1], 6);
    }

    [Fact]
    public void Constructor_LabelOutsideTaxonomy_FailsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new ClassifierScorer(TestTaxonomy.Small(), Classifier(ModelOutputKind.Logits, 1, "graffiti", "licorne")));

        Assert.Contains("'licorne'", ex.Message, StringComparison.Ordinal);
    }
}
