using Fidamia.Core;
using Fidamia.Core.Fusion;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Models;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

/// <summary>The decision alone, called directly: no pipeline, no I/O.</summary>
public sealed class TriagePolicyTests
{
    private static readonly GeoPoint Marseille = new(43.2965, 5.3698);
    private static readonly LocationContext Context = new(new CommuneRef("13055", "Marseille"), "Marseille Provence");
    private readonly Fidamia.Core.Taxonomy.Taxonomy _taxonomy = TestTaxonomy.Small();
    private readonly TriagePolicy _policy;

    public TriagePolicyTests() => _policy = new TriagePolicy(_taxonomy, new FamilyTerritoryRouter(), Options.Create(new TriageOptions()));

    private static readonly ModelDescriptor Model = new(
        "m", "1", ModelKind.Embedding, new TensorSpec(2, 2, ColorOrder.Rgb, 1, [0, 0, 0], [1, 1, 1], ResizeMode.Stretch),
        ModelOutputKind.Embedding, 3, [], new Dictionary<string, double>(), 1);

    private static TriageReport Report() => new() { ReportId = "r", Photo = new byte[] { 1 }, Location = Marseille, Channel = ReportChannel.App };

    private TriageDecision Decide(double[] posterior, GeoPoint? exif = null) => _policy.Decide(
        Report(), Marseille, Context, new PhotoMetadata(4, 3, "jpeg", exif, null), new Posterior(posterior, []), Model);

    [Fact]
    public void Decide_ConfidentLabel_IsRoutedToItsFamilyQueueWithTheRule()
    {
        var decision = Decide([0.05, 0.05, 0.85, 0.05]);

        Assert.Equal((TriageStatus.Routed, "graffiti", "proprete.marseille-provence", "family-territory"),
            (decision.Status, decision.Label?.Code, decision.Queue.Id, decision.Rule));
    }

    [Fact]
    public void Decide_TwoLabelsTied_HasNoLabelAndGoesToReviewWithoutARule()
    {
        var decision = Decide([0.45, 0.45, 0.05, 0.05]);

        Assert.Null(decision.Label);
        Assert.Null(decision.Rule);
        Assert.Equal((TriageStatus.NeedsReview, "revue"), (decision.Status, decision.Queue.Id));
        Assert.Contains(decision.Explanation, e => e.StartsWith("decision: no label stands out (2 labels tie", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_ExifFarFromTheDeclaredPoint_IsReviewedEvenWhenConfident()
    {
        var decision = Decide([0.01, 0.01, 0.97, 0.01], exif: new GeoPoint(43.5297, 5.4474));

        Assert.Equal((TriageStatus.NeedsReview, "graffiti", "revue"), (decision.Status, decision.Label?.Code, decision.Queue.Id));
        Assert.InRange(decision.DeclaredToExifDistanceM!.Value, 25_000, 28_000);
        Assert.Equal(Math.Round(decision.DeclaredToExifDistanceM.Value, 1), decision.DeclaredToExifDistanceM.Value);
    }

    [Fact]
    public void Decide_LabelThresholdFromTheTaxonomy_AppliesBelowTheDefault()
    {
        // trottoir's own threshold is 0.6, under the default 0.8.
        var decision = Decide([0.1, 0.65, 0.15, 0.1]);

        Assert.Equal((TriageStatus.Routed, "trottoir"), (decision.Status, decision.Label?.Code));
    }
}
