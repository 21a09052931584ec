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
    public async Task Start_SeveralWrongSettings_PrintsEachOnceWithoutStackTraceAndExitsNonZero()
    {
        var (exitCode, output) = await ServerProcess.RunToExitAsync(
            "--Gis:Communes:Path=/nonexistent/communes.geojson", "--Routing:RulesPath=/nonexistent/rules.yaml", "--Models:IntraOpThreads=-1");

        Assert.Equal(1, exitCode);
        Assert.Single(Lines(output, "Fidamia cannot start:"));
        Assert.Single(Lines(output, "Gis:Communes:Path: no file at '/nonexistent/communes.geojson'"));
        Assert.Single(Lines(output, "Routing:RulesPath: no file at '/nonexistent/rules.yaml'"));
        Assert.Single(Lines(output, "IntraOpThreads"));
        Assert.DoesNotMatch(@"(?m)^\s+at \S", output);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WrongSettingAskedForDetail_PrintsTheStackTraceToo()
    {
        var (exitCode, output) = await ServerProcess.RunToExitAsync(
            "--Gis:Communes:Path=/nonexistent/communes.geojson", "--Logging:LogLevel:Default=Debug");

        Assert.Equal(1, exitCode);
        Assert.Contains("OptionsValidationException", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+at \S", output);
    }

    [Fact]
    public async Task Start_PortInUse_SaysSoOnceAndExitsNonZero()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, output) = await ServerProcess.RunToExitAsync($"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{port}");

        Assert.Equal(1, exitCode);
        Assert.Single(Lines(output, $"127.0.0.1:{port}"));
        Assert.Contains("address already in use", output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^\s+at \S", output);
    }

    [Fact]
    public async Task Route_WrongSettings_PrintsEachOnceWithoutStackTraceAndExitsWithUsage()
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
            "route", "--label", "graffiti", "--lat", "43.3", "--lon", "5.37",
            "--Gis:Communes:Path=/nonexistent/communes.geojson", "--Routing:RulesPath=/nonexistent/rules.yaml");

        Assert.Equal(2, exitCode);
        Assert.Empty(stdout);
        Assert.Single(Lines(stderr, "fidamia route cannot start:"));
        Assert.Single(Lines(stderr, "Gis:Communes:Path: no file at '/nonexistent/communes.geojson'"));
        Assert.Single(Lines(stderr, "Routing:RulesPath: no file at '/nonexistent/rules.yaml'"));
        Assert.DoesNotMatch(@"(?m)^\s+at \S", stderr);
    }

    private static string[] Lines(string output, string containing) =>
        output.Split('\n').Where(l => l.Contains(containing, StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task Start_EmbeddedDefaults_ServesTheDemoLayer()
    {
        await using var server = await ServerProcess.StartAsync();

        Assert.Contains("demo", server.Output, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("http://127.0.0.1:", server.Address.ToString(), StringComparison.Ordinal);
    }
}
