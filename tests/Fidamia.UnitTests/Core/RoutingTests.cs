using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;

namespace Fidamia.UnitTests.Core;

public class RoutingTests
{
    [Theory]
    [InlineData("Marseille Provence", "marseille-provence")]
    [InlineData("Pays d'Aubagne et de l'Étoile", "pays-d-aubagne-et-de-l-etoile")]
    [InlineData("Istres-Ouest Provence", "istres-ouest-provence")]
    [InlineData("  Pays d'Aix ", "pays-d-aix")]
    public void Slug_TerritoryName_IsLowerAsciiWithHyphens(string name, string slug)
    {
        Assert.Equal(slug, FamilyTerritoryRouter.Slug(name));
    }

    [Fact]
    public void Route_LabelAndTerritory_GivesFamilyQueueOfTheTerritory()
    {
        var taxonomy = TestTaxonomy.Small();
        var context = new LocationContext(new CommuneRef("13005", "Aubagne"), "Pays d'Aubagne et de l'Étoile");

        var assignment = new FamilyTerritoryRouter().Route(new RouteRequest(taxonomy.Find("graffiti")!, context, ReportChannel.Web));

        Assert.Equal("proprete.pays-d-aubagne-et-de-l-etoile", assignment.Queue.Id);
        Assert.Equal("Propreté – Pays d'Aubagne et de l'Étoile", assignment.Queue.Name);
        Assert.Contains("proprete", Assert.Single(assignment.Explanation), StringComparison.Ordinal);
    }

    [Fact]
    public void Haversine_MarseilleToLeuven_IsAbout844Km()
    {
        var d = Geodesy.HaversineMeters(new GeoPoint(43.2965, 5.3698), new GeoPoint(50.8715278, 4.6969833));

        Assert.InRange(d, 835_000, 850_000);
    }

    [Fact]
    public void Haversine_OneDegreeOfLatitude_IsAbout111Km()
    {
        var d = Geodesy.HaversineMeters(new GeoPoint(43, 5), new GeoPoint(44, 5));

        // The ellipsoid's meridian degree at 43.5°N is 111.1 km; the sphere stays within 0.5 %.
        Assert.InRange(d, 111_100 * 0.995, 111_100 * 1.005);
    }
}
