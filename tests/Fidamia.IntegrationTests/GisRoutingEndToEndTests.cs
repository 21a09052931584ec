using System.Diagnostics;
using System.Text.Json;
using Fidamia.Protos.V1;
using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>
/// The server with layers given on the command line, as an operator would: the real communes and
/// arrondissements plus the demo zones and roads, and the shipped routing rules. The threshold is
/// lowered just under the declared category's reliability (0.7) so that a cold service routes and the rule shows.
/// </summary>
public sealed class GisRoutingEndToEndTests : IAsyncLifetime
{
    private ServerProcess? _server;

    private static string[] LayerSettings()
    {
        string Demo(string name) => Path.Combine(Path.GetDirectoryName(ServerProcess.BuildOutput("Fidamia.Server", "Fidamia.Server.dll"))!, "gis", name);
        return
        [
            "--Gis:Layers:0:Name=communes", "--Gis:Layers:0:Role=commune", $"--Gis:Layers:0:Path={SharedData.Gis("amp-communes.geojson")}",
            "--Gis:Layers:1:Name=arr", "--Gis:Layers:1:Role=arrondissement", $"--Gis:Layers:1:Path={SharedData.Gis("marseille-arrondissements.geojson")}",
            "--Gis:Layers:2:Name=zones", "--Gis:Layers:2:Role=zone", $"--Gis:Layers:2:Path={Demo("demo-zones.geojson")}",
            "--Gis:Layers:3:Name=roads", "--Gis:Layers:3:Role=road", $"--Gis:Layers:3:Path={Demo("demo-roads.geojson")}",
        ];
    }

    public async Task InitializeAsync()
    {
        if (SharedData.IsAvailable)
        {
            _server = await ServerProcess.StartAsync([.. LayerSettings(), "--Triage:DefaultThreshold=0.69"]);
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [SharedDataFact]
    public async Task Triage_PotholeOnAStateMotorway_GoesToTheStateOutboundQueueAndSaysWhy()
    {
        var response = await _server!.Client.TriageAsync(Requests.Report(TestPhotos.Shared("building.jpg"), 43.306, 5.37, "nid_de_poule"));

        Assert.Equal(TriageStatus.Routed, response.Status);
        Assert.Equal("transmission-etat", response.Queue.Id);
        Assert.Equal(("A55", "etat"), (response.Context.Road.Id, response.Context.Road.Owner));
        Assert.InRange(response.Context.Road.DistanceM, 0, 30);
        Assert.StartsWith("132", response.Context.Arrondissement, StringComparison.Ordinal);
        Assert.Contains(response.Explanation, e => e.StartsWith("rule 'route-nationale'", StringComparison.Ordinal) && e.Contains("owned by etat", StringComparison.Ordinal));
        Assert.Contains(response.Explanation, e => e.StartsWith("layer roads: A55", StringComparison.Ordinal));
    }

    [SharedDataFact]
    public async Task Triage_VegetationInAPark_GoesToTheParksTeamWithZoneAndArrondissement()
    {
        var response = await _server!.Client.TriageAsync(Requests.Report(TestPhotos.Shared("grass.png"), 43.2585, 5.3775, "vegetation"));

        Assert.Equal("espaces-verts-parcs-marseille-provence", response.Queue.Id);
        Assert.Equal("13208", response.Context.Arrondissement);
        var zone = Assert.Single(response.Context.Zones);
        Assert.Equal(("zones", "parc-borely", "park"), (zone.Layer, zone.Id, zone.Type));
        Assert.Null(response.Context.Road);
        Assert.False(response.Context.HasNearBoundaryM);
    }

    [SharedDataFact]
    public async Task Route_CliWithTheSameSettings_GivesTheSameQueueWithoutAPhoto()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[
            ServerProcess.BuildOutput("Fidamia.Cli", "fidamia.dll"), "route", "--label", "nid_de_poule", "--lat", "43.306", "--lon", "5.37", "--json",
            .. LayerSettings()])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(process.ExitCode == 0, await stderr);
        using var json = JsonDocument.Parse(await stdout);
        Assert.Equal("transmission-etat", json.RootElement.GetProperty("queue").GetProperty("id").GetString());
        Assert.Equal("etat", json.RootElement.GetProperty("context").GetProperty("road").GetProperty("owner").GetString());
    }
}
