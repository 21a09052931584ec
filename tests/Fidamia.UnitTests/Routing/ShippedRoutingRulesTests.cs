using Fidamia.Core.Location;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Routing;
using static Fidamia.UnitTests.Routing.RoutingTestData;

namespace Fidamia.UnitTests.Routing;

public class ShippedRoutingRulesTests
{
    private static readonly RulesRouter Shipped = new(Taxonomy, RoutingOptions.ShippedRulesPath);

    public static TheoryData<string> Territories =>
    [
        "Marseille Provence", "Pays d'Aix", "Pays Salonais", "Pays d'Aubagne et de l'Étoile", "Istres-Ouest Provence", "Pays de Martigues",
    ];

    [Fact]
    public void Route_PotholeInAix_GoesToPaysDAixVoirie()
    {
        var assignment = Shipped.Route(Request("nid_de_poule", Aix));

        Assert.Equal("voirie-pays-d-aix", assignment.Queue.Id);
        Assert.Equal("Voirie – Pays d'Aix", assignment.Queue.Name);
        Assert.Equal("famille-territoire", assignment.Rule);
    }

    [Fact]
    public void Route_PotholeOnDepartementalRoad_GoesToDepartement()
    {
        var assignment = Shipped.Route(Request("nid_de_poule", AubagneOnD2));

        Assert.Equal("transmission-departement", assignment.Queue.Id);
        Assert.Contains("road D2 Avenue de Marseille owned by departement", Assert.Single(assignment.Explanation), StringComparison.Ordinal);
    }

    [Fact]
    public void Route_DumpingBesideDepartementalRoad_StaysWithTheMetropole()
    {
        Assert.Equal("proprete-pays-d-aubagne-et-de-l-etoile", Shipped.Route(Request("depot_sauvage", AubagneOnD2)).Queue.Id);
    }

    [Fact]
    public void Route_SignOnStateRoad_GoesToEtat()
    {
        var onA50 = Aubagne with { Road = new RoadRef("routes", "a50-3", "A50", "etat", 12) };

        Assert.Equal("transmission-etat", Shipped.Route(Request("panneau", onA50)).Queue.Id);
    }

    [Theory]
    [InlineData(ReportChannel.Agent, "graffiti-marseille")]
    [InlineData(ReportChannel.App, "proprete-marseille-provence")]
    public void Route_GraffitiInMarseille_AgentsGoToTheBrigade(ReportChannel channel, string queue)
    {
        Assert.Equal(queue, Shipped.Route(Request("graffiti", BorelyPark, channel)).Queue.Id);
    }

    [Fact]
    public void Route_TreeInPark_GoesToTheParksTeam()
    {
        Assert.Equal("espaces-verts-parcs-marseille-provence", Shipped.Route(Request("arbre", BorelyPark)).Queue.Id);
    }

    [Fact]
    public void Route_Autre_GoesToManualReview()
    {
        var assignment = Shipped.Route(Request("autre", Aix));

        Assert.Equal("revue-routage", assignment.Queue.Id);
        Assert.Equal("autre", assignment.Rule);
    }

    [Theory]
    [MemberData(nameof(Territories))]
    public void Route_EveryLabelInEveryTerritory_ReachesADeclaredTeamQueue(string territory)
    {
        var context = new LocationContext(new CommuneRef("13999", "Commune"), territory);
        foreach (var label in Taxonomy.Labels.Where(l => l.Family.Code != "autre"))
        {
            var assignment = Shipped.Route(new RouteRequest(label, context, ReportChannel.Web));

            Assert.NotEqual("default", assignment.Rule);
            Assert.EndsWith(FamilyTerritoryRouter.Slug(territory), assignment.Queue.Id, StringComparison.Ordinal);
        }
    }
}
