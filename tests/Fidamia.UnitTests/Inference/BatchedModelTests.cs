using System.Text.Json.Nodes;
using Fidamia.Core.Models;
using Fidamia.Core.Scheduling;
using Fidamia.Inference;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Onnx;

namespace Fidamia.UnitTests.Inference;

/// <summary>
/// The shipped ResNet18 has its batch fixed at 1; these tests derive a dynamic-batch copy of the
/// same graph (the batch dimension renamed, nothing else touched) to check real batched runs.
/// </summary>
public sealed class BatchedModelTests : IDisposable
{
    private static readonly string ShippedVersion = Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "1");
    private readonly string _root = Directory.CreateTempSubdirectory("fidamia-batch-").FullName;
    private readonly InferenceOptions _options = new() { IntraOpThreads = 1 };

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Load_DynamicBatchModel_TakesBatchesUpToTheManifestLimit()
    {
        using var model = OnnxImageModel.Load(DynamicBatchVersion(maxBatchSize: 4), _options);

        Assert.Equal(4, model.Descriptor.MaxBatchSize);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            model.Run(new float[5 * model.Descriptor.Input.Length], 5, new float[5 * 512], CancellationToken.None));
    }

    [Fact]
    public void Load_ShippedFixedBatchModel_TakesOneImagePerRun()
    {
        using var model = OnnxImageModel.Load(ShippedVersion, _options);

        Assert.Equal(1, model.Descriptor.MaxBatchSize);
    }

    [Fact]
    public void Load_MaxBatchSizeOnAFixedBatchModel_FailsNamingTheField()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, "fixed", "1")).FullName;
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(ShippedVersion, "manifest.json")))!.AsObject();
        manifest["maxBatchSize"] = 8;
        File.WriteAllText(Path.Combine(directory, "manifest.json"), manifest.ToJsonString());
        File.CreateSymbolicLink(Path.Combine(directory, "model.onnx"), Path.Combine(ShippedVersion, "model.onnx"));

        var error = Assert.Throws<ModelLoadException>(() => OnnxImageModel.Load(directory, _options));

        Assert.Contains("maxBatchSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_BatchOfThree_GivesEachImageItsOwnSingleRunFeatures()
    {
        using var model = OnnxImageModel.Load(DynamicBatchVersion(maxBatchSize: 8), _options);
        var length = model.Descriptor.Input.Length;
        var batch = new float[3 * length];
        for (var image = 0; image < 3; image++)
        {
            for (var i = 0; i < length; i++)
            {
                batch[(image * length) + i] = ((i * (image + 3)) % 251) - 120f;
            }
        }

        var batched = new float[3 * 512];
        model.Run(batch, 3, batched, CancellationToken.None);

        for (var image = 0; image < 3; image++)
        {
            var single = new float[512];
            model.Run(batch.AsMemory(image * length, length), single, CancellationToken.None);
            for (var f = 0; f < 512; f++)
            {
                Assert.Equal(single[f], batched[(image * 512) + f], 0.01f);
            }
        }

        Assert.NotEqual(batched.AsSpan(0, 512).ToArray(), batched.AsSpan(512, 512).ToArray());
    }

    [Fact]
    public async Task InferAsync_RealDynamicBatchModelUnderLoad_RunsBatchesAndAnswersEveryoneCorrectly()
    {
        using var model = OnnxImageModel.Load(DynamicBatchVersion(maxBatchSize: 8), _options);
        using var meters = new TestMeterFactory();
        using var batches = new HistogramListener(meters, "fidamia.scheduler.batch.size");
        var metrics = new Fidamia.Core.Diagnostics.FidamiaMetrics(meters);
        using var scheduler = new InferenceScheduler(
            model, Options.Create(new SchedulerOptions { MaxConcurrentRuns = 1, MaxBatchSize = 8 }), metrics, NullLogger<InferenceScheduler>.Instance);
        var length = model.Descriptor.Input.Length;
        var inputs = Enumerable.Range(0, 12).Select(n => Enumerable.Range(0, length).Select(i => (float)(((i * (n + 2)) % 97) - 48)).ToArray()).ToList();
        var outputs = inputs.Select(_ => new float[512]).ToList();

        await Task.WhenAll(inputs.Select((input, n) => scheduler.InferAsync(input, outputs[n], CancellationToken.None)));

        Assert.Equal(12, batches.Values.Sum());
        Assert.Contains(batches.Values, size => size > 1);
        for (var n = 0; n < inputs.Count; n++)
        {
            var single = new float[512];
            model.Run(inputs[n], single, CancellationToken.None);
            for (var f = 0; f < 512; f++)
            {
                Assert.Equal(single[f], outputs[n][f], 0.01f);
            }
        }
    }

    /// <summary>A version folder with the shipped graph, its batch dimension made symbolic.</summary>
    private string DynamicBatchVersion(int maxBatchSize)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, "resnet18-batch", "1")).FullName;
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(ShippedVersion, "model.onnx")));
        foreach (var value in graph.Graph.Input.Concat(graph.Graph.Output))
        {
            var batch = value.Type.TensorType.Shape.Dim[0];
            batch.DimParam = "N"; // a oneof with dim_value: setting the name clears the fixed 1
        }

        // The intermediate shapes were inferred for a batch of 1; ONNX Runtime infers them again.
        graph.Graph.ValueInfo.Clear();
        File.WriteAllBytes(Path.Combine(directory, "model.onnx"), graph.ToByteArray());

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(ShippedVersion, "manifest.json")))!.AsObject();
        manifest["name"] = "resnet18-batch";
        manifest["maxBatchSize"] = maxBatchSize;
        File.WriteAllText(Path.Combine(directory, "manifest.json"), manifest.ToJsonString());
        return directory;
    }
}
