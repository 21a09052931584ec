using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>The <c>fidamia triage</c> command against the real server.</summary>
[Collection(ServerCollection.Name)]
public class CliEndToEndTests(ServerFixture fixture)
{
    private async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServerProcess.BuildOutput("Fidamia.Cli", "fidamia.dll"));
        start.ArgumentList.Add("triage");
        start.ArgumentList.Add("--server");
        start.ArgumentList.Add(fixture.Server.Address.ToString());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout, await stderr);
    }

    [SharedDataFact]
    public async Task Triage_Photo_PrintsTheResponseAsProtobufJsonAndExitsZero()
    {
        var (exitCode, stdout, stderr) = await RunCliAsync(
            "--photo", SharedData.Photo("leuvenA.jpg"), "--lat", "43.2965", "--lon", "5.3698", "--category", "trottoir", "--report-id", "cli-test-1");

        Assert.True(exitCode == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("cli-test-1", root.GetProperty("reportId").GetString());
        Assert.Equal("TRIAGE_STATUS_NEEDS_REVIEW", root.GetProperty("status").GetString());
        Assert.Equal("trottoir", root.GetProperty("label").GetProperty("code").GetString());
        Assert.Equal(50.8715278, root.GetProperty("photo").GetProperty("exifLocation").GetProperty("lat").GetDouble(), 6);
        Assert.Equal("13055", root.GetProperty("context").GetProperty("commune").GetProperty("insee").GetString());
    }

    [SharedDataFact]
    public async Task Triage_PointOutsideTheTerritory_PrintsStatusAndFieldViolationAndExitsNonZero()
    {
        var (exitCode, stdout, stderr) = await RunCliAsync(
            "--photo", SharedData.Photo("leuvenA.jpg"),
            "--lat", 50.8715278.ToString(CultureInfo.InvariantCulture), "--lon", 4.6969833.ToString(CultureInfo.InvariantCulture));

        Assert.NotEqual(0, exitCode);
        Assert.Empty(stdout);
        Assert.Contains("INVALID_ARGUMENT", stderr, StringComparison.Ordinal);
        Assert.Contains("location: is outside the served territory", stderr, StringComparison.Ordinal);
    }
}
