using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>The served precision is chosen at start, said in the log, and the int8 version serves out of the box.</summary>
public class PrecisionEndToEndTests
{
    [SharedDataFact]
    public async Task Triage_Int8Asked_BuildsTheInt8VersionAtStartAndTriages()
    {
        await using var server = await ServerProcess.StartAsync(
            $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", "--Models:Precision=int8");

        var response = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("building.jpg")));

        Assert.Equal(("resnet18", "2"), (response.Model.Name, response.Model.Version));
        Assert.Contains("Serving int8 (Models:Precision says so)", server.Output, StringComparison.Ordinal);
        Assert.Contains("built at load from resnet18/1 and calibration.json", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AutoPrecision_SaysWhichAndWhy()
    {
        await using var server = await ServerProcess.StartAsync();

        Assert.Contains($"Serving {HostCpu.AutoPrecision} (auto: this CPU has", server.Output, StringComparison.Ordinal);
    }
}
