using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>
/// A person types paths relative to where they stand, whichever way the service was started: <c>dotnet run --project</c>
/// from the repository root (which used to run it in the project's folder) or the built binary from anywhere.
/// </summary>
public class PathsEndToEndTests
{
    private const double CassisLat = 43.2147;
    private const double CassisLon = 5.5386;

    [SharedDataFact]
    public async Task DotnetRunFromTheRepositoryRoot_RelativePathsResolveFromThere()
    {
        var root = SharedData.RepositoryRoot;
        await using var server = await ServerProcess.StartWithDotnetRunAsync(
            root,
            $"--Gis:Communes:Path={Path.GetRelativePath(root, SharedData.Gis("amp-communes.geojson"))}",
            "--Routing:RulesPath=src/Fidamia.Routing/routing.yaml");

        await AssertLocatesCassisAsync(server);
    }

    [SharedDataFact]
    public async Task BuiltBinaryFromAnotherFolder_RelativePathsResolveFromThatFolder()
    {
        var standing = Path.GetDirectoryName(SharedData.Gis("amp-communes.geojson"))!;
        await using var server = await ServerProcess.StartInAsync(
            standing,
            ServerProcess.BuildOutput("Fidamia.Server", "Fidamia.Server.dll"),
            "--Gis:Communes:Path=amp-communes.geojson");

        await AssertLocatesCassisAsync(server);
    }

    private static async Task AssertLocatesCassisAsync(ServerProcess server)
    {
        // Only the real communes layer has Cassis: the demo layer has six coarse polygons named after main communes.
        var response = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("graf1.png"), CassisLat, CassisLon));

        Assert.Equal("Cassis", response.Context.Commune.Name);
    }
}
