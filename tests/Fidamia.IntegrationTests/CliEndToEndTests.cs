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
        // The fixture server's development key: the tool signs its own token with it.
        start.Environment["FIDAMIA_DEVELOPMENT_KEY"] = TestTokens.KeyPath;
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
        Assert.InRange(root.GetProperty("photo").GetProperty("declaredToExifDistanceM").GetDouble(), 835_000, 850_000);
        // Printed as a person reads them: 0.7, not 0.6999999999999998; "<", not "\u003c".
        Assert.Contains("\"confidence\": 0.7,", stdout, StringComparison.Ordinal);
        Assert.Contains("< threshold 0.80", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u003c", stdout, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public async Task Triage_NothingToGoOn_PrintsNoLabelAndNoExifDistance()
    {
        // A cold memory, no declared category, no EXIF position: no label stands out, and no distance is invented.
        var (exitCode, stdout, stderr) = await RunCliAsync("--photo", SharedData.Photo("graf1.png"), "--lat", "43.2965", "--lon", "5.3698");

        Assert.True(exitCode == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.False(root.TryGetProperty("label", out var label) && label.ValueKind != JsonValueKind.Null, stdout);
        Assert.False(root.GetProperty("photo").TryGetProperty("declaredToExifDistanceM", out _), stdout);
        Assert.Equal("TRIAGE_STATUS_NEEDS_REVIEW", root.GetProperty("status").GetString());
        Assert.Contains(root.GetProperty("explanation").EnumerateArray(), e => e.GetString()!.StartsWith("decision: no label stands out", StringComparison.Ordinal));
    }

    [SharedDataFact]
    public async Task RouteJson_SamePlaceAsTriage_DescribesTheContextInTheSameShape()
    {
        var (triageExit, triageOut, triageErr) = await RunCliAsync(
            "--photo", SharedData.Photo("graf1.png"), "--lat", "43.2965", "--lon", "5.3698", "--category", "graffiti");
        var (routeExit, routeOut, routeErr) = await CliProcess.RunAsync(
            "route", "--label", "graffiti", "--lat", "43.2965", "--lon", "5.3698", "--json", $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}");

        Assert.True(triageExit == 0, triageErr);
        Assert.True(routeExit == 0, routeErr);
        using var triage = JsonDocument.Parse(triageOut);
        using var route = JsonDocument.Parse(routeOut);
        Assert.Equal(
            triage.RootElement.GetProperty("context").GetRawText().ReplaceLineEndings().Replace(" ", "", StringComparison.Ordinal),
            route.RootElement.GetProperty("context").GetRawText().ReplaceLineEndings().Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal("", route.RootElement.GetProperty("context").GetProperty("arrondissement").GetString());
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
