using Fidamia.Core.Context;
using Fidamia.Core.Location;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public class ContextPriorTests
{
    private static readonly LocationContext Marseille = new(new CommuneRef("13055", "Marseille"), "Marseille Provence");

    private static ConfiguredContextPrior Prior(ContextPriorOptions options) => new(TestTaxonomy.Small(), Options.Create(options));

    [Fact]
    public void For_NoConfiguration_IsNeutralAndUnexplained()
    {
        var prior = Prior(new ContextPriorOptions()).For(Marseille);

        Assert.All(prior.Multipliers, m => Assert.Equal(1.0, m));
        Assert.Empty(prior.Explanation);
    }

    [Fact]
    public void For_ZoneTypeAndRoad_MultipliesTheirMultipliers()
    {
        var options = new ContextPriorOptions
        {
            Zones = { ["park"] = new() { ["graffiti"] = 2.0, ["trottoir"] = 0.5 } },
            Road = { ["nid_de_poule"] = 3.0, ["graffiti"] = 1.5 },
        };
        var context = Marseille with
        {
            Zones = [new ZoneRef("zones", "p1", "park", "Parc Borély"), new ZoneRef("zones", "p2", "park", "Jardin")],
            Road = new RoadRef("roads", "r1", "Avenue du Prado", "metropole", 12),
        };

        var prior = Prior(options).For(context);

        // nid_de_poule, trottoir, graffiti, depot_sauvage; the park counts once though two parks overlap.
        Assert.Equal([3.0, 0.5, 3.0, 1.0], prior.Multipliers);
        Assert.Equal(2, prior.Explanation.Count);
        Assert.Contains("'park'", prior.Explanation[0], StringComparison.Ordinal);
    }

    [Fact]
    public void For_NoRoadNear_AppliesTheOffRoadMultipliers()
    {
        var prior = Prior(new ContextPriorOptions { NoRoad = { ["nid_de_poule"] = 0.2 } }).For(Marseille);

        Assert.Equal(0.2, prior.Multipliers[0]);
        Assert.Contains("off the roads", Assert.Single(prior.Explanation), StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_UnknownLabelOrBadMultiplier_FailsNamingTheKey()
    {
        var unknown = Assert.Throws<OptionsValidationException>(() =>
            Prior(new ContextPriorOptions { Zones = { ["park"] = new() { ["licorne"] = 2 } } }));
        var negative = Assert.Throws<OptionsValidationException>(() =>
            Prior(new ContextPriorOptions { Road = { ["graffiti"] = -1 } }));

        Assert.Contains("ContextPriors:Zones:park:licorne", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("ContextPriors:Road:graffiti", negative.Message, StringComparison.Ordinal);
    }
}
