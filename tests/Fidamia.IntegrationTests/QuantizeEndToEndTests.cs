using System.Text.Json;
using System.Text.Json.Nodes;
using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary><c>fidamia model quantize</c> on the default model and the shared photos, as a data scientist runs it.</summary>
public sealed class QuantizeEndToEndTests : IDisposable
{
    private static readonly string ShippedVersion = Path.Combine(Path.GetDirectoryName(ServerProcess.BuildOutput("Fidamia.Cli", "fidamia.dll"))!, "models", "resnet18", "1");
    private readonly string _root = Directory.CreateTempSubdirectory("fidamia-quantize-it-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [SharedDataFact]
    public async Task Quantize_DefaultModelOnSharedPhotos_WritesAnInt8VersionThatPassesItsChecks()
    {
        var output = Path.Combine(_root, "resnet18", "2");

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
            "model", "quantize", "--model", ShippedVersion, "--calibration", SharedData.PhotosDirectory, "--out", output, "--json");

        Assert.True(exitCode == 0, stderr + stdout);
        using var report = JsonDocument.Parse(stdout);
        var root = report.RootElement;
        Assert.Equal(0, root.GetProperty("fp32_convs").GetInt32());
        Assert.True(root.GetProperty("cosine").GetProperty("min").GetDouble() >= 0.99, stdout);
        Assert.True(root.GetProperty("int8_nodes").GetInt32() >= 32, stdout);
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.Equal(3, root.GetProperty("held_out_photos").GetArrayLength());
        Assert.True(root.GetProperty("int8_bytes").GetInt64() * 3 < root.GetProperty("fp32_bytes").GetInt64());
        Assert.True(root.GetProperty("speed").GetProperty("ratio").GetDouble() > 0);

        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "manifest.json")))!;
        Assert.Equal("int8", (string?)manifest["precision"]);
        Assert.Equal("2", (string?)manifest["version"]);
        Assert.Equal("resnet18/1", (string?)manifest["derivedFrom"]);
        Assert.Equal("calibration.json", (string?)manifest["calibration"]!["file"]);
        Assert.Equal(7, (int?)manifest["calibration"]!["photos"]);
        Assert.True(File.Exists(Path.Combine(output, "model.onnx")));
        var calibration = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "calibration.json")))!;
        Assert.Equal(32, calibration["tensors"]!.AsObject().Count);
    }

    [Fact]
    public async Task Quantize_OutFolderNotEmpty_ExitsTwoWithoutTouchingIt()
    {
        var output = Directory.CreateDirectory(Path.Combine(_root, "taken")).FullName;
        await File.WriteAllTextAsync(Path.Combine(output, "keep.txt"), "mine");
        var photos = Directory.CreateDirectory(Path.Combine(_root, "photos")).FullName;

        var (exitCode, _, stderr) = await CliProcess.RunAsync("model", "quantize", "--model", ShippedVersion, "--calibration", photos, "--out", output);

        Assert.Equal(2, exitCode);
        Assert.Contains("is not empty", stderr, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(output).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Quantize_BadMethod_IsAUsageError()
    {
        var (exitCode, _, _) = await CliProcess.RunAsync(
            "model", "quantize", "--model", ShippedVersion, "--calibration", _root, "--out", Path.Combine(_root, "o"), "--method", "entropy");

        Assert.Equal(2, exitCode);
    }
}
