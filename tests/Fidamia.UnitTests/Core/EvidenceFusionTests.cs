using Fidamia.Core;
using Fidamia.Core.Context;
using Fidamia.Core.Fusion;
using Fidamia.Core.Scoring;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public class EvidenceFusionTests
{
    private static readonly ContextPrior Neutral = new([1, 1, 1, 1], []);

    private static EvidenceFusion Fusion(double rho = 0.7, double floor = 0) =>
        new(TestTaxonomy.Small(), Options.Create(new TriageOptions { DeclaredCategoryReliability = rho, ImageFloor = floor }));

    [Fact]
    public void Fuse_UniformImageWithDeclaredCategory_GivesRhoToTheDeclaredLabel()
    {
        var posterior = Fusion().Fuse(ImageEvidence.Uniform(4, "cold"), Neutral, "graffiti");

        Assert.Equal(0.7, posterior.Probabilities[2], 12);
        Assert.Equal(0.1, posterior.Probabilities[0], 12);
        Assert.Equal(1.0, posterior.Probabilities.Sum(), 12);
    }

    [Fact]
    public void Fuse_ImageContextAndDeclared_MatchesHandComputedPosterior()
    {
        // image (0.5, 0.2, 0.2, 0.1) x context (1, 2, 1, 1) x declared trottoir (0.1, 0.7, 0.1, 0.1)
        // = (0.05, 0.28, 0.02, 0.01) / 0.36
        var image = new ImageEvidence([0.5, 0.2, 0.2, 0.1], true, []);

        var posterior = Fusion().Fuse(image, new ContextPrior([1, 2, 1, 1], ["context prior: test"]), "trottoir");

        Assert.Equal(0.05 / 0.36, posterior.Probabilities[0], 12);
        Assert.Equal(0.28 / 0.36, posterior.Probabilities[1], 12);
        Assert.Equal(0.02 / 0.36, posterior.Probabilities[2], 12);
        Assert.Equal(0.01 / 0.36, posterior.Probabilities[3], 12);
    }

    [Fact]
    public void Fuse_NoDeclaredCategory_KeepsTheImageDistribution()
    {
        var image = new ImageEvidence([0.4, 0.3, 0.2, 0.1], true, []);

        var posterior = Fusion().Fuse(image, Neutral, null);

        Assert.Equal([0.4, 0.3, 0.2, 0.1], posterior.Probabilities.Select(p => Math.Round(p, 12)));
    }

    [Fact]
    public void Fuse_ImageFloor_KeepsALabelTheImageRulesOutAlive()
    {
        var image = new ImageEvidence([1, 0, 0, 0], true, []);

        var posterior = Fusion(floor: 0.04).Fuse(image, Neutral, "graffiti");

        // (0.96 + 0.01) x 0.1 against 0.01 x 0.7 for graffiti.
        Assert.Equal(0.097 / (0.097 + 0.007 + 0.001 + 0.001), posterior.Probabilities[0], 12);
        Assert.True(posterior.Probabilities[2] > 0);
    }

    [Fact]
    public void Fuse_DeclaredCategory_IsExplained()
    {
        var posterior = Fusion().Fuse(ImageEvidence.Uniform(4, "image: cold"), Neutral, "graffiti");

        Assert.Contains("image: cold", posterior.Explanation);
        Assert.Contains(posterior.Explanation, e => e.Contains("'graffiti'", StringComparison.Ordinal) && e.Contains("0.70", StringComparison.Ordinal));
    }
}
