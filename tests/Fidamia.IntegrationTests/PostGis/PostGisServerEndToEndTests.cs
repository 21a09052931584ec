namespace Fidamia.IntegrationTests.PostGis;

/// <summary>The service with its communes layer in PostGIS (Table + ConnectionString), as the Métropole's SIG platform serves it.</summary>
public class PostGisServerEndToEndTests(PostGisCommunes communes) : IClassFixture<PostGisCommunes>
{
    [PostGisSharedDataFact]
    public async Task Triage_CommunesLayerInPostGis_LocatesTheReport()
    {
        await using var server = await ServerProcess.StartAsync(
            "--Gis:Layers:0:Name=communes",
            "--Gis:Layers:0:Role=commune",
            $"--Gis:Layers:0:Table={communes.Wgs84Table}",
            $"--Gis:Layers:0:ConnectionString={PostGisServer.Require()}");

        var aix = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("building.jpg"), 43.5297, 5.4474, "graffiti"));
        var pertuis = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("building.jpg"), 43.6942, 5.5019, "graffiti"));

        Assert.Equal(("13001", "Pays d'Aix"), (aix.Context.Commune.Insee, aix.Context.Territory));
        Assert.Equal("84089", pertuis.Context.Commune.Insee);
        Assert.Contains(aix.Explanation, e => e.StartsWith("layer communes: 13001", StringComparison.Ordinal));
    }
}
