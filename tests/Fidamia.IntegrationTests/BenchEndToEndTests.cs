using System.Diagnostics;
using System.Text.Json;
using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>
/// <c>fidamia bench load</c> against the real server over loopback and <c>fidamia bench pipeline</c> in-process,
/// kept to a couple of seconds per level: they check that the numbers are there and sane, not what they are.
/// </summary>
[Collection(ServerCollection.Name)]
public class BenchEndToEndTests(ServerFixture fixture)
{
    [SharedDataFact]
    public async Task BenchLoad_LoopbackServerTwoLevels_ReportsEachLevelWithOrderedPercentilesAndNoErrors()
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
            "bench", "load", "--server", fixture.Server.Address.ToString(), "--photos", SharedData.PhotosDirectory,
            "--concurrency", "1,2", "--duration", "2s", "--warmup", "0s", "--json", "--server-pid", fixture.Server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(exitCode == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("load", root.GetProperty("mode").GetString());
        Assert.Equal(fixture.Server.Address, new Uri(root.GetProperty("server").GetString()!));
        Assert.Equal(PhotoCount(), root.GetProperty("photos").GetInt32());
        Assert.Equal(2, root.GetProperty("duration_s").GetDouble());
        Assert.False(root.GetProperty("interrupted").GetBoolean());
        var levels = root.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal([1, 2], levels.Select(l => l.GetProperty("concurrency").GetInt32()));
        foreach (var level in levels)
        {
            AssertMeasured(level);
            Assert.Empty(level.GetProperty("errors").EnumerateObject());
            // --server-pid: the server's own memory and CPU, read from /proc.
            Assert.True(level.GetProperty("peak_rss_mb").GetDouble() > 0, level.ToString());
            Assert.True(level.GetProperty("cpu_s_per_request").GetDouble() > 0, level.ToString());
            Assert.True(level.GetProperty("client_cpu_s_per_request").GetDouble() > 0, level.ToString());
            // Every call answered with a decision: per call and per report are the same division.
            Assert.Equal(level.GetProperty("cpu_s_per_request").GetDouble(), level.GetProperty("cpu_s_per_call").GetDouble());
        }

        // The floor: measured on the server's live version before and after the levels, each level's CPU set against it.
        AssertFloor(root, levels);
    }

    [SharedDataFact]
    public async Task BenchLoad_ReportsTheServiceRefuses_CpuPerCallIsWhatReceivingAndRefusingCosts()
    {
        // Paris: outside the territory, so every report is refused after its photo has been received and parsed.
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
            "bench", "load", "--server", fixture.Server.Address.ToString(), "--photos", SharedData.PhotosDirectory,
            "--concurrency", "1", "--duration", "1s", "--warmup", "0s", "--json", "--floor", "0", "--lat", "48.8566", "--lon", "2.3522",
            "--server-pid", fixture.Server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(exitCode == 1, stderr); // nothing succeeded, as documented; the report is still printed
        using var json = JsonDocument.Parse(stdout);
        var level = json.RootElement.GetProperty("levels")[0];
        Assert.Equal(0, level.GetProperty("ok").GetInt64());
        // Refusals come back fast enough for the per-client rate limit to answer some of them (RateLimits:PerClientPerSecond).
        var errors = level.GetProperty("errors").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetInt64());
        Assert.True(errors.GetValueOrDefault("INVALID_ARGUMENT") > 0, level.ToString());
        Assert.All(errors.Keys, status => Assert.Contains(status, new[] { "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED" }));
        Assert.Equal(JsonValueKind.Null, level.GetProperty("cpu_s_per_request").ValueKind);
        Assert.True(level.GetProperty("cpu_s_per_call").GetDouble() > 0, level.ToString());
    }

    [SharedDataFact]
    public async Task BenchLoad_FloorZero_MeasuresNoFloor()
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
            "bench", "load", "--server", fixture.Server.Address.ToString(), "--photos", SharedData.PhotosDirectory,
            "--concurrency", "1", "--duration", "1s", "--warmup", "0s", "--json", "--floor", "0");

        Assert.True(exitCode == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("floor").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("levels")[0].GetProperty("cpu_vs_floor").ValueKind);
    }

    [SharedDataFact]
    public async Task BenchLoad_FloorOfAVersionThisRepositoryLacks_WarnsAndMeasuresTheRest()
    {
        var empty = Directory.CreateTempSubdirectory("fidamia-bench-models-");
        try
        {
            var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
                "bench", "load", "--server", fixture.Server.Address.ToString(), "--photos", SharedData.PhotosDirectory,
                "--concurrency", "1", "--duration", "1s", "--warmup", "0s", "--json", "--models", empty.FullName);

            Assert.True(exitCode == 0, stderr);
            Assert.Contains("warning: no floor measured", stderr, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(stdout);
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("floor").ValueKind);
            AssertMeasured(json.RootElement.GetProperty("levels")[0]);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task BenchLoad_NonLoopbackServer_ExitsTwoBeforeSendingAnything()
    {
        var photos = Directory.CreateTempSubdirectory("fidamia-bench-it-");
        try
        {
            // Never decoded: the refusal comes before anything is sent.
            await File.WriteAllBytesAsync(Path.Combine(photos.FullName, "not-a-photo.jpg"), [0xFF, 0xD8, 0xFF]);
            var stopwatch = Stopwatch.StartNew();

            var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
                "bench", "load", "--server", "http://10.0.0.1:5080", "--photos", photos.FullName, "--duration", "30s", "--warmup", "0s");

            // Had it sent, every call to 10.0.0.1 would have failed and the exit would be 1, after the 30 s.
            Assert.Equal(2, exitCode);
            Assert.Empty(stdout);
            Assert.Contains("10.0.0.1 is not a loopback address", stderr, StringComparison.Ordinal);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(25), $"took {stopwatch.Elapsed}");
        }
        finally
        {
            photos.Delete(recursive: true);
        }
    }

    [SharedDataFact]
    public async Task BenchPipeline_InProcessOneLevel_ReportsOkAndCpuSecondsPerRequest()
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
            "bench", "pipeline", "--photos", SharedData.PhotosDirectory, "--concurrency", "1", "--duration", "2s", "--warmup", "0s", "--json",
            "--Models:IntraOpThreads=1", $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}");

        Assert.True(exitCode == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("pipeline", root.GetProperty("mode").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("server").ValueKind);
        var level = Assert.Single(root.GetProperty("levels").EnumerateArray().ToList());
        Assert.Equal(1, level.GetProperty("concurrency").GetInt32());
        AssertMeasured(level);
        Assert.Empty(level.GetProperty("errors").EnumerateObject());
        var cpu = level.GetProperty("cpu_s_per_request").GetDouble();
        Assert.True(cpu > 0, level.ToString());
        Assert.Equal(Environment.ProcessorCount / cpu, level.GetProperty("saturation_rps").GetDouble(), 6);
        Assert.True(level.GetProperty("hwm_mb").GetDouble() > 0, level.ToString());
        AssertFloor(root, [level]);
    }

    [SharedDataFact]
    public async Task BenchPipeline_CompareStore_MeasuresBothVariantsInEveryRoundAndReportsTheirRatio()
    {
        var data = Directory.CreateTempSubdirectory("fidamia-bench-store-");
        try
        {
            var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
                "bench", "pipeline", "--photos", SharedData.PhotosDirectory, "--concurrency", "1", "--duration", "1s", "--warmup", "0s",
                "--compare-store", "--rounds", "2", "--json",
                "--Models:IntraOpThreads=1", $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", $"--DataDirectory={data.FullName}");

            Assert.True(exitCode == 0, stderr);
            using var json = JsonDocument.Parse(stdout);
            var root = json.RootElement;
            var withStore = root.GetProperty("levels").EnumerateArray().ToList();
            var comparison = root.GetProperty("store_comparison");
            var withoutStore = comparison.GetProperty("without_store_levels").EnumerateArray().ToList();
            var ratio = Assert.Single(comparison.GetProperty("ratios").EnumerateArray().ToList());
            Assert.Equal("sqlite", comparison.GetProperty("provider").GetString());
            Assert.Equal(2, withStore.Count);
            Assert.Equal(2, withoutStore.Count);
            withStore.Concat(withoutStore).ToList().ForEach(AssertMeasured);

            // The ratio is the successful calls over the measured time of all rounds, with against without.
            static double Rps(List<JsonElement> levels) =>
                levels.Sum(l => l.GetProperty("ok").GetInt64()) / levels.Sum(l => l.GetProperty("elapsed_s").GetDouble());
            Assert.Equal(Rps(withStore) / Rps(withoutStore), ratio.GetProperty("ratio").GetDouble(), 9);

            // Only the variant with the store kept its reports.
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data.FullName, "fidamia.db")};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM reports";
            var stored = (long)command.ExecuteScalar()!;
            Assert.InRange(stored, withStore.Sum(l => l.GetProperty("ok").GetInt64()), withStore.Sum(l => l.GetProperty("ok").GetInt64()) + 8);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private static void AssertMeasured(JsonElement level)
    {
        Assert.True(level.GetProperty("ok").GetInt64() > 0, level.ToString());
        Assert.True(level.GetProperty("rps").GetDouble() > 0, level.ToString());
        var p50 = level.GetProperty("p50_ms").GetDouble();
        var p95 = level.GetProperty("p95_ms").GetDouble();
        var p99 = level.GetProperty("p99_ms").GetDouble();
        var max = level.GetProperty("max_ms").GetDouble();
        Assert.True(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 <= max, level.ToString());
    }

    private static void AssertFloor(JsonElement root, List<JsonElement> levels)
    {
        var floor = root.GetProperty("floor");
        var perPhoto = floor.GetProperty("cpu_ms_per_photo").GetDouble();
        var decode = floor.GetProperty("decode_ms_per_photo").GetDouble();
        var inference = floor.GetProperty("inference_ms_per_photo").GetDouble();
        Assert.StartsWith("resnet18/", floor.GetProperty("model").GetString(), StringComparison.Ordinal);
        Assert.True(decode > 0 && inference > 0, floor.ToString());
        Assert.Equal(perPhoto, (floor.GetProperty("before_ms").GetDouble() + floor.GetProperty("after_ms").GetDouble()) / 2, 6);
        // Every photo at least once before and once after the levels.
        Assert.True(floor.GetProperty("runs").GetInt32() >= 2 * (PhotoCount() - floor.GetProperty("skipped_photos").GetInt32()), floor.ToString());
        foreach (var level in levels)
        {
            Assert.Equal(level.GetProperty("cpu_s_per_request").GetDouble() * 1000 / perPhoto, level.GetProperty("cpu_vs_floor").GetDouble(), 6);
        }
    }

    private static int PhotoCount() => Directory.EnumerateFiles(SharedData.PhotosDirectory)
        .Count(f => Path.GetExtension(f).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png" or ".webp");
}
