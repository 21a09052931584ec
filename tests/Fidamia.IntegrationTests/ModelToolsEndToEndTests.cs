using System.Text.Json.Nodes;
using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>
/// The offline model tools as a data scientist runs them, on labelled shots of the shared photos: train a memory, evaluate
/// with it, export backbone and memory as one classifier, validate and evaluate that, calibrate it into a new version.
/// The figures are not asserted (a handful of photos); what each tool must write and refuse is.
/// </summary>
public sealed class ModelToolsEndToEndTests : IDisposable
{
    private static readonly (string Photo, string Label)[] Scenes = [("graf1.png", "graffiti"), ("brick.png", "trottoir"), ("grass.png", "vegetation")];
    private readonly string _root = Directory.CreateTempSubdirectory("fidamia-tools-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [SharedDataFact]
    public async Task TrainEvaluateExportValidateCalibrate_OnShotsOfTheSharedPhotos()
    {
        var (train, test) = (Path.Combine(_root, "train"), Path.Combine(_root, "test"));
        foreach (var (photo, label) in Scenes)
        {
            Directory.CreateDirectory(Path.Combine(train, label));
            Directory.CreateDirectory(Path.Combine(test, label));
            for (var seed = 1; seed <= 5; seed++)
            {
                await File.WriteAllBytesAsync(Path.Combine(train, label, $"{seed}.jpg"), TestPhotos.Shot(photo, seed));
            }

            for (var seed = 100; seed < 103; seed++)
            {
                await File.WriteAllBytesAsync(Path.Combine(test, label, $"{seed}.jpg"), TestPhotos.Shot(photo, seed));
            }
        }

        var backbone = Path.Combine(Path.GetDirectoryName(ServerProcess.BuildOutput("Fidamia.Cli", "fidamia.dll"))!, "models", "resnet18", "1");
        var (memory, evaluation, classifier, calibrated) =
            (Path.Combine(_root, "memory"), Path.Combine(_root, "evaluation"), Path.Combine(_root, "repo", "shots", "1"), Path.Combine(_root, "repo", "shots", "2"));

        var trained = await CliProcess.RunAsync("model", "train", "--backbone", backbone, "--data", train, "--out", memory);
        var evaluated = await CliProcess.RunAsync("model", "evaluate", backbone, "--data", test, "--memory", memory, "--out", evaluation);
        var exported = await CliProcess.RunAsync("model", "export", "--backbone", backbone, "--memory", memory, "--data", test, "--out", classifier);
        var validated = await CliProcess.RunAsync("model", "validate", classifier);
        var calibration = await CliProcess.RunAsync("model", "calibrate", classifier, "--data", test, "--target-precision", "0.9", "--out", calibrated);
        var inPlace = await CliProcess.RunAsync("model", "calibrate", classifier, "--data", test, "--out", classifier);
        var withoutMemory = await CliProcess.RunAsync("model", "evaluate", backbone, "--data", test);

        Assert.True(trained.ExitCode == 0, trained.Stderr);
        Assert.Matches(@"graffiti\s+5\s+\d+\s+yes", trained.Stdout);
        Assert.True(File.Exists(Path.Combine(memory, "resnet18.json")));
        Assert.Contains("note: 15 photos only", trained.Stdout, StringComparison.Ordinal);

        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
        Assert.Matches(@"resnet18 1 on 9 photos: accuracy \d+\.\d%, macro-F1 \d\.\d{3}, expected calibration error \d\.\d{3}", evaluated.Stdout);
        Assert.Contains("auto-routed at the manifest's thresholds:", evaluated.Stdout, StringComparison.Ordinal);
        var png = await File.ReadAllBytesAsync(Path.Combine(evaluation, "confusion.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        var csv = await File.ReadAllLinesAsync(Path.Combine(evaluation, "confusion.csv"));
        Assert.Equal(4, csv.Length);
        Assert.Equal(9, csv.Skip(1).Sum(line => line.Split(',').Skip(1).Sum(int.Parse)));

        Assert.True(exported.ExitCode == 0, exported.Stderr + exported.Stdout);
        Assert.Contains("same top label as the memory: 9 of 9 photos", exported.Stdout, StringComparison.Ordinal);
        Assert.Contains("batch of 2 against single runs", exported.Stdout, StringComparison.Ordinal);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(classifier, "manifest.json")))!;
        Assert.Equal("classifier", (string?)manifest["kind"]);
        Assert.Equal(["trottoir", "graffiti", "vegetation"], manifest["labels"]!.AsArray().Select(l => (string?)l));

        Assert.True(validated.ExitCode == 0, validated.Stderr);
        Assert.Contains("shots 1: valid", validated.Stdout, StringComparison.Ordinal);
        Assert.Contains("float [N, 3, 224, 224]", validated.Stdout, StringComparison.Ordinal);

        Assert.True(calibration.ExitCode == 0, calibration.Stderr);
        var calibratedManifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(calibrated, "manifest.json")))!;
        Assert.Equal("2", (string?)calibratedManifest["version"]);
        Assert.Equal(3, calibratedManifest["thresholds"]!.AsObject().Count);
        Assert.True(File.Exists(Path.Combine(calibrated, "model.onnx")));
        Assert.Equal(2, inPlace.ExitCode);
        Assert.Contains("never edits a version", inPlace.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, withoutMemory.ExitCode);
        Assert.Contains("give --memory DIR", withoutMemory.Stderr, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public async Task Rescore_KilledPartWay_GoesOnFromItsCheckpoint_CountsEveryReportOnce_TouchesNoDecision()
    {
        // A data folder of the test's own: the server's temporary one goes with it.
        var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        var ids = new List<string>();
        await using (var server = await ServerProcess.StartAsync("--Duplicates:Enabled=false", $"--DataDirectory={data}"))
        {
            for (var i = 0; i < 120; i++)
            {
                var (photo, _) = Scenes[i % Scenes.Length];
                ids.Add((await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot(photo, 500 + (i % 7)), declared: "graffiti"))).ReportId);
            }
        }

        var backbone = Path.Combine(Path.GetDirectoryName(ServerProcess.BuildOutput("Fidamia.Cli", "fidamia.dll"))!, "models", "resnet18", "1");
        var output = Path.Combine(_root, "rescore");
        string[] arguments = ["model", "rescore", "--model", backbone, "--since", "2020-01-01", "--out", output, "--batch", "2", $"--DataDirectory={data}"];

        // Killed (SIGKILL, no goodbye) once its first pages are checkpointed, then started again.
        using (var first = CliProcess.Start(arguments))
        {
            var checkpoint = Path.Combine(output, "checkpoint.json");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(checkpoint) && !first.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }

            first.Kill();
            await first.WaitForExitAsync();
        }

        var partial = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "checkpoint.json")))!;
        var second = await CliProcess.RunAsync(arguments);
        var changes = (await File.ReadAllLinesAsync(Path.Combine(output, "changes.csv"))).Skip(1).Select(l => l.Split(',')[0]).ToList();
        var done = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "checkpoint.json")))!;
        await using var again = await ServerProcess.StartAsync("--Duplicates:Enabled=false", $"--DataDirectory={data}");
        var after = await again.Client.GetReportAsync(new Protos.V1.GetReportRequest { ReportId = ids[0] });

        Assert.True(second.ExitCode == 0, second.Stderr + second.Stdout);
        Assert.InRange((long)partial["Done"]!, 2, 119);
        Assert.Contains("going on after", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(120, (long)done["Done"]!);
        Assert.Equal(120, (long)done["Rescored"]!);
        Assert.True((bool)done["Finished"]!);
        Assert.Contains("120 of 120 read, 120 rescored", second.Stdout, StringComparison.Ordinal);
        Assert.Equal(changes.Count, changes.Distinct().Count());
        Assert.Equal((long)done["ChangesWritten"]!, changes.Count);
        Assert.All(changes, id => Assert.Contains(id, ids));
        // Stored decisions untouched: the service still answers what it decided (a cold memory: review).
        Assert.Equal(Protos.V1.TriageStatus.NeedsReview, after.Status);
        Assert.Equal("resnet18", after.Model.Name);
    }

    [Fact]
    public async Task Validate_BrokenVersions_ExitTwoWithTheReason()
    {
        var corrupt = Directory.CreateDirectory(Path.Combine(_root, "corrupt", "1")).FullName;
        var built = Path.GetDirectoryName(ServerProcess.BuildOutput("Fidamia.Cli", "fidamia.dll"))!;
        File.Copy(Path.Combine(built, "models", "resnet18", "1", "manifest.json"), Path.Combine(corrupt, "manifest.json"));
        await File.WriteAllBytesAsync(Path.Combine(corrupt, "model.onnx"), new byte[1024]);

        var broken = await CliProcess.RunAsync("model", "validate", corrupt);
        var missing = await CliProcess.RunAsync("model", "validate", Path.Combine(_root, "nothing"));

        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("ONNX Runtime cannot load it", broken.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("is not a model version folder", missing.Stderr, StringComparison.Ordinal);
    }
}
