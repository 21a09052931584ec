using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>A missing model or layer stops the server at start with a message that says which and where.</summary>
public class StartupTests
{
    [Fact]
    public async Task Start_MissingModelRepository_ExitsNamingTheSetting()
    {
        var (exitCode, output) = await ServerProcess.RunToExitAsync("--Models:Path=/nonexistent/models");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Models:Path", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnknownModel_ExitsListingTheModelsThere()
    {
        var (exitCode, output) = await ServerProcess.RunToExitAsync("--Models:Default=resnet50");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("no version of model 'resnet50'", output, StringComparison.Ordinal);
        Assert.Contains("resnet18", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MissingCommuneLayer_ExitsNamingTheSettingAndPath()
    {
        var (exitCode, output) = await ServerProcess.RunToExitAsync("--Gis:Communes:Path=/nonexistent/communes.geojson");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Gis:Communes:Path", output, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/communes.geojson", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_EmbeddedDefaults_ServesTheDemoLayer()
    {
        await using var server = await ServerProcess.StartAsync();

        Assert.Contains("demo", server.Output, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("http://127.0.0.1:", server.Address.ToString(), StringComparison.Ordinal);
    }
}
