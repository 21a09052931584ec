using Fidamia.Core.Security;
using System.Text.Json.Nodes;
using Fidamia.Tests;
using Fidamia.Protos.V1;
using Grpc.Core;
using Xunit.Abstractions;

namespace Fidamia.IntegrationTests;

/// <summary>
/// Model administration through a real server: bad versions refused with their reason while the live one serves on,
/// swaps and rollbacks under concurrent triage, and the process's memory across load/activate/unload cycles. The
/// repository is a temporary one: resnet18 versions 1 and 3 (the same fp32 file, so the swap is between two versions
/// of one feature space) and three broken models.
/// </summary>
public sealed class ModelLifecycleEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _repository = BuildRepository();

    public void Dispose() => Directory.Delete(_repository, recursive: true);

    [SharedDataFact]
    public async Task Load_BadVersions_RefusedWithTheirReason_LiveVersionServesOn()
    {
        await using var server = await StartAsync();
        var models = new ModelService.ModelServiceClient(server.Channel);

        var wrongInput = await Assert.ThrowsAsync<RpcException>(() => models.LoadAsync(new LoadModelRequest { Name = "wrong-input", Version = "1" }).ResponseAsync);
        var wrongLabels = await Assert.ThrowsAsync<RpcException>(() => models.LoadAsync(new LoadModelRequest { Name = "wrong-labels", Version = "1" }).ResponseAsync);
        var corrupt = await Assert.ThrowsAsync<RpcException>(() => models.LoadAsync(new LoadModelRequest { Name = "corrupt", Version = "1" }).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => models.LoadAsync(new LoadModelRequest { Name = "resnet18", Version = "9" }).ResponseAsync);
        var outside = await Assert.ThrowsAsync<RpcException>(() => models.LoadAsync(new LoadModelRequest { Name = "..", Version = "1" }).ResponseAsync);
        var notLoaded = await Assert.ThrowsAsync<RpcException>(() => models.ActivateAsync(new ActivateModelRequest { Name = "resnet18", Version = "3" }).ResponseAsync);
        var unloadLive = await Assert.ThrowsAsync<RpcException>(() => models.UnloadAsync(new UnloadModelRequest { Name = "resnet18", Version = "1" }).ResponseAsync);
        var noPrevious = await Assert.ThrowsAsync<RpcException>(() => models.RollbackAsync(new RollbackModelRequest()).ResponseAsync);

        Assert.All([wrongInput, wrongLabels, corrupt, notLoaded, unloadLive, noPrevious], e => Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode));
        Assert.Contains("Input999", wrongInput.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("labels", wrongLabels.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("ONNX Runtime cannot load it", corrupt.Status.Detail, StringComparison.Ordinal);
        Assert.All([wrongInput, wrongLabels, corrupt], e => Assert.Contains("the live version is unchanged", e.Status.Detail, StringComparison.Ordinal));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, outside.StatusCode);
        Assert.Contains("not loaded", notLoaded.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("is live", unloadLive.Status.Detail, StringComparison.Ordinal);

        var listed = (await models.ListAsync(new ListModelsRequest())).Versions.ToDictionary(v => $"{v.Name}/{v.Version}");
        Assert.Equal(ModelState.Live, listed["resnet18/1"].State);
        Assert.Equal(ModelState.Available, listed["resnet18/3"].State);
        Assert.Equal("Input247", (string?)JsonNode.Parse(listed["resnet18/3"].ManifestJson)!["input"]!["name"]);
        Assert.Equal(ModelState.Failed, listed["wrong-input/1"].State);
        Assert.Contains("Input999", listed["wrong-input/1"].Reason, StringComparison.Ordinal);
        Assert.Equal(ModelState.Failed, listed["corrupt/1"].State);
        var status = await models.StatusAsync(new ModelStatusRequest());
        Assert.Equal("1", status.Live.Version);
        Assert.Null(status.Previous);
        var triaged = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 1)));
        Assert.Equal("1", triaged.Model.Version);
    }

    [SharedDataFact]
    public async Task SwapAndRollback_UnderConcurrentTriage_NoCallFails_EachVersionServes()
    {
        await using var server = await StartAsync();
        var models = new ModelService.ModelServiceClient(server.Channel);
        var photos = Enumerable.Range(0, 8).Select(i => TestPhotos.Shot("graf1.png", i)).ToArray();
        using var stop = new CancellationTokenSource();
        var versions = new System.Collections.Concurrent.ConcurrentBag<string>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var callers = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var response = await server.Client.TriageAsync(Requests.Report(photos[(c + i) % photos.Length]));
                    versions.Add(response.Model.Version);
                }
                catch (RpcException ex)
                {
                    failures.Add($"{ex.StatusCode}: {ex.Status.Detail}");
                }
            }
        })).ToList();

        var loaded = await models.LoadAsync(new LoadModelRequest { Name = "resnet18", Version = "3" });
        var activated = await models.ActivateAsync(new ActivateModelRequest { Name = "resnet18", Version = "3" });
        await WaitForAsync(() => versions.Contains("3"));
        var rolledBack = await models.RollbackAsync(new RollbackModelRequest());
        var servedBeforeRollback = versions.Count;
        await WaitForAsync(() => versions.Count > servedBeforeRollback + 8);
        var again = await models.RollbackAsync(new RollbackModelRequest());
        var servedBeforeStop = versions.Count;
        await WaitForAsync(() => versions.Count > servedBeforeStop + 8);
        await stop.CancelAsync();
        await Task.WhenAll(callers);
        var status = await models.StatusAsync(new ModelStatusRequest());

        output.WriteLine($"{versions.Count} calls: {versions.Count(v => v == "1")} on version 1, {versions.Count(v => v == "3")} on version 3");
        Assert.Empty(failures);
        Assert.Equal(ModelState.Loaded, loaded.State);
        Assert.True(loaded.LoadTime.ToTimeSpan() > TimeSpan.Zero);
        Assert.Equal(512, loaded.OutputLength);
        Assert.Equal(("3", "1"), (activated.Live.Version, activated.Previous.Version));
        Assert.Equal(("1", "3"), (rolledBack.Live.Version, rolledBack.Previous.Version));
        Assert.Equal(("3", "1"), (again.Live.Version, again.Previous.Version));
        Assert.Equal(ModelState.Live, status.Live.State);
        Assert.Equal(2, status.Loaded.Count);
        Assert.All(status.Loaded, v => Assert.True(v.Requests > 0, $"{v.Version} served nothing"));
        Assert.Contains("1", versions);
        Assert.Contains("3", versions);
    }

    [SharedDataFact]
    public async Task BenchLoadSwap_SwapsHalfwayThroughEachLevel_ReportsTheCallsAroundIt_NoneFailed()
    {
        await using var server = await StartAsync();

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
            "bench", "load", "--server", server.Address.ToString(), "--photos", SharedData.PhotosDirectory,
            "--concurrency", "2,2", "--duration", "3s", "--warmup", "0s", "--json", "--swap", "resnet18/3");
        var live = (await new ModelService.ModelServiceClient(server.Channel).StatusAsync(new ModelStatusRequest())).Live.Version;

        Assert.True(exitCode == 0, stderr);
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var levels = json.RootElement.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal(["resnet18/1 -> resnet18/3", "resnet18/3 -> resnet18/1"], levels.Select(l => l.GetProperty("swap").GetProperty("what").GetString()));
        foreach (var level in levels)
        {
            var swap = level.GetProperty("swap");
            Assert.Empty(level.GetProperty("errors").EnumerateObject());
            Assert.False(swap.TryGetProperty("error", out _), swap.ToString());
            Assert.Equal(0, swap.GetProperty("failed_during").GetInt32());
            Assert.True(swap.GetProperty("calls_before").GetInt32() > 0, swap.ToString());
            Assert.True(swap.GetProperty("calls_during").GetInt32() > 0, swap.ToString());
            Assert.InRange(swap.GetProperty("at_s").GetDouble(), 1, 2.5);
        }

        Assert.Equal("1", live);
    }

    [SharedDataFact]
    public async Task Cli_LoadActivateUnloadRollback_DrivesTheServiceAndSaysWhyItRefuses()
    {
        await using var server = await StartAsync();
        var address = server.Address.ToString();
        async Task<(int ExitCode, string Stdout, string Stderr)> ModelAsync(params string[] arguments) =>
            await CliProcess.RunAsync(["model", .. arguments, "--server", address]);

        var load = await ModelAsync("load", "resnet18", "3");
        var activate = await ModelAsync("activate", "resnet18", "3");
        var unloadLive = await ModelAsync("unload", "resnet18", "3");
        var unloadOld = await ModelAsync("unload", "resnet18", "1");
        // Rollback goes back to version 1, loading it again.
        var rollback = await ModelAsync("rollback");
        var status = await ModelAsync("status", "--json");

        Assert.True(load.ExitCode == 0, load.Stderr);
        Assert.Matches(@"resnet18\s+3\s+loaded\s+embedding\s+fp32", load.Stdout);
        Assert.True(activate.ExitCode == 0, activate.Stderr);
        Assert.Contains("live: resnet18 3", activate.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, unloadLive.ExitCode);
        Assert.Contains("FAILED_PRECONDITION", unloadLive.Stderr, StringComparison.Ordinal);
        Assert.Contains("is live", unloadLive.Stderr, StringComparison.Ordinal);
        Assert.True(unloadOld.ExitCode == 0, unloadOld.Stderr);
        Assert.True(rollback.ExitCode == 0, rollback.Stderr);
        Assert.Contains("live: resnet18 1", rollback.Stdout, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(status.Stdout);
        Assert.Equal("1", json.RootElement.GetProperty("live").GetProperty("version").GetString());
        Assert.Equal("3", json.RootElement.GetProperty("previous").GetProperty("version").GetString());
        Assert.Equal("1", (await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 2)))).Model.Version);
    }

    [SharedDataFact]
    public async Task Shadow_CountersMoveAsTrafficFlows_OperatorsScoreBothModels_ActivatingTheCandidateEndsIt()
    {
        await using var server = await StartAsync();
        var models = new ModelService.ModelServiceClient(server.Channel);
        await models.LoadAsync(new LoadModelRequest { Name = "resnet18", Version = "3" });
        var started = await models.ShadowAsync(new ShadowModelRequest { Name = "resnet18", Version = "3", SampleRate = 1 });
        var badRate = await Assert.ThrowsAsync<RpcException>(() => models.ShadowAsync(new ShadowModelRequest { Name = "resnet18", Version = "3", SampleRate = 1.5 }).ResponseAsync);

        var reports = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var response = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 10 + i), declared: "graffiti"));
            Assert.Equal("1", response.Model.Version);
            reports.Add(response.ReportId);
        }

        await WaitForAsync(() => models.Status(new ModelStatusRequest()).Shadow.Compared == 6);
        var alice = TestTokens.As("alice", Roles.Review);
        var review = new ReviewService.ReviewServiceClient(server.Channel);
        await review.ClaimAsync(new ClaimRequest { ReportId = reports[0] }, alice);
        await review.ResolveAsync(new ResolveRequest { ReportId = reports[0], LabelCode = "graffiti" }, alice);
        var shadow = (await models.StatusAsync(new ModelStatusRequest())).Shadow;
        var listed = (await models.ListAsync(new ListModelsRequest())).Versions.Single(v => v is { Name: "resnet18", Version: "3" });
        var unload = await Assert.ThrowsAsync<RpcException>(() => models.UnloadAsync(new UnloadModelRequest { Name = "resnet18", Version = "3" }).ResponseAsync);
        var activated = await models.ActivateAsync(new ActivateModelRequest { Name = "resnet18", Version = "3" });

        Assert.Equal(ModelState.Shadow, started.Shadow.Candidate.State);
        Assert.Equal(StatusCode.InvalidArgument, badRate.StatusCode);
        Assert.Equal(ModelState.Shadow, listed.State);
        Assert.Equal((6L, 0L, 0L), (shadow.Sampled, shadow.Dropped, shadow.Failed));
        // The same file and the same memory: the candidate agrees on every report.
        Assert.Equal(1.0, shadow.Agreement);
        Assert.Equal(6, shadow.Labels.Single(l => l.Label == "graffiti").Compared);
        Assert.Equal(6, shadow.Confusion.Single().Count);
        Assert.Equal(1, shadow.Resolved);
        Assert.Equal(shadow.LiveAccuracy, shadow.CandidateAccuracy);
        Assert.Equal(StatusCode.FailedPrecondition, unload.StatusCode);
        Assert.Contains("in shadow", unload.Status.Detail, StringComparison.Ordinal);
        Assert.Null(activated.Shadow);
        Assert.Equal("3", activated.Live.Version);
    }

    [SharedDataFact]
    public async Task NewVersionFolder_ListedAsAvailable_GoesLiveOnlyWhenConfigured()
    {
        await using (var listing = await StartAsync())
        {
            var models = new ModelService.ModelServiceClient(listing.Channel);
            AddVersion(_repository, "4");
            var listed = (await models.ListAsync(new ListModelsRequest())).Versions.Single(v => v is { Name: "resnet18", Version: "4" });
            await Task.Delay(500);

            Assert.Equal(ModelState.Available, listed.State);
            Assert.Equal("1", (await models.StatusAsync(new ModelStatusRequest())).Live.Version);
        }

        await using var activating = await ServerProcess.StartAsync(
            $"--Models:Path={_repository}", "--Models:Default=resnet18", "--Models:Version=1", "--Duplicates:Enabled=false",
            "--Models:Watch=Activate", "--Models:WatchInterval=00:00:00.200");
        var client = new ModelService.ModelServiceClient(activating.Channel);
        AddVersion(_repository, "5");
        await WaitForAsync(() => client.Status(new ModelStatusRequest()).Live.Version == "5");

        Assert.Equal("5", (await activating.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 3)))).Model.Version);
        Assert.Equal("1", (await client.StatusAsync(new ModelStatusRequest())).Previous.Version);
    }

    [SharedDataFact]
    public async Task LoadAnotherEmbeddingModel_ReembedsWhatOperatorsTaught_ThenSwapsWarm()
    {
        await using var server = await StartAsync();
        var models = new ModelService.ModelServiceClient(server.Channel);
        var alice = TestTokens.As("alice", Roles.Review);
        var review = new ReviewService.ReviewServiceClient(server.Channel);
        for (var i = 0; i < 3; i++)
        {
            var response = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 20 + i)));
            await review.ClaimAsync(new ClaimRequest { ReportId = response.ReportId }, alice);
            await review.ResolveAsync(new ResolveRequest { ReportId = response.ReportId, LabelCode = "graffiti" }, alice);
        }

        var loaded = await models.LoadAsync(new LoadModelRequest { Name = "other-embedder", Version = "1" });
        await WaitForAsync(() => Listed(models, "other-embedder", "1").Reembedding.Finished);
        var progress = Listed(models, "other-embedder", "1").Reembedding;
        var activated = await models.ActivateAsync(new ActivateModelRequest { Name = "other-embedder", Version = "1" });
        var triaged = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 30)));

        Assert.Equal("resnet18", loaded.Reembedding.FromModel);
        Assert.Equal((3, 3, 0, 0, ""), (progress.Total, progress.Done, progress.Skipped, progress.Failed, progress.Error));
        Assert.Equal("other-embedder", activated.Live.Name);
        Assert.Equal("other-embedder", triaged.Model.Name);
        Assert.Contains(triaged.Explanation, e => e.Contains("closest to 'graffiti'", StringComparison.Ordinal) && e.Contains("3 examples", StringComparison.Ordinal));
    }

    [SharedDataFact]
    public async Task ActivateAnotherEmbeddingModel_WithAColdMemory_RefusedUnlessForced()
    {
        var seed = Directory.CreateDirectory(Path.Combine(_repository, "..", Path.GetFileName(_repository) + "-seed", "graffiti")).FullName;
        for (var i = 0; i < 3; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(seed, $"shot-{i}.jpg"), TestPhotos.Shot("graf1.png", 40 + i));
        }

        try
        {
            // Seed photos teach the live model at start and are not re-embedded: the other model's memory stays empty.
            await using var server = await ServerProcess.StartAsync(
                $"--Models:Path={_repository}", "--Models:Default=resnet18", "--Models:Version=1", "--Duplicates:Enabled=false",
                $"--Prototypes:SeedPath={Path.GetDirectoryName(seed)}");
            var models = new ModelService.ModelServiceClient(server.Channel);
            await models.LoadAsync(new LoadModelRequest { Name = "other-embedder", Version = "1" });
            await WaitForAsync(() => Listed(models, "other-embedder", "1").Reembedding.Finished);

            var refused = await Assert.ThrowsAsync<RpcException>(() => models.ActivateAsync(new ActivateModelRequest { Name = "other-embedder", Version = "1" }).ResponseAsync);
            var forced = await models.ActivateAsync(new ActivateModelRequest { Name = "other-embedder", Version = "1", Force = true });

            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
            Assert.Contains("would start cold", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Equal("other-embedder", forced.Live.Name);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(seed)!, recursive: true);
        }
    }

    [SharedDataFact]
    public async Task ExecutionProviderCuda_WithoutCuda_ServesOnTheCpuAndSaysWhy()
    {
        await using var server = await ServerProcess.StartAsync(
            $"--Models:Path={_repository}", "--Models:Default=resnet18", "--Models:Version=1", "--Duplicates:Enabled=false", "--Models:ExecutionProvider=Cuda");
        var models = new ModelService.ModelServiceClient(server.Channel);

        var triaged = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 1)));
        var loaded = await models.LoadAsync(new LoadModelRequest { Name = "resnet18", Version = "3" });
        var live = (await models.StatusAsync(new ModelStatusRequest())).Live;

        Assert.Equal("1", triaged.Model.Version);
        Assert.StartsWith("cpu (CUDA unavailable", live.ExecutionProvider, StringComparison.Ordinal);
        Assert.StartsWith("cpu (CUDA unavailable", loaded.ExecutionProvider, StringComparison.Ordinal);
        Assert.Contains("Models:ExecutionProvider=Cuda could not start; serving on the CPU", server.Output, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public async Task LoadDerivedInt8_AtRunTime_ReportsTheQuantizerChecks_FailedChecksHoldItBack()
    {
        await using var server = await StartAsync();
        var models = new ModelService.ModelServiceClient(server.Channel);
        var cold = await models.LoadAsync(new LoadModelRequest { Name = "resnet18", Version = "2" });
        await models.UnloadAsync(new UnloadModelRequest { Name = "resnet18", Version = "2" });
        for (var i = 0; i < 3; i++)
        {
            await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot(Scenes[i], 60 + i)));
        }

        var checkedOnPhotos = await models.LoadAsync(new LoadModelRequest { Name = "resnet18", Version = "2" });
        var activated = await models.ActivateAsync(new ActivateModelRequest { Name = "resnet18", Version = "2" });

        Assert.True(cold.Checks.Passed, cold.Checks.Summary);
        Assert.Equal(0, cold.Checks.Photos);
        Assert.Equal(0, cold.Checks.Fp32Convs);
        Assert.True(cold.Checks.Int8Nodes > 0);
        Assert.Contains("no stored photo", cold.Checks.Summary, StringComparison.Ordinal);
        Assert.True(checkedOnPhotos.Checks.Passed, checkedOnPhotos.Checks.Summary);
        Assert.Equal(3, checkedOnPhotos.Checks.Photos);
        Assert.InRange(checkedOnPhotos.Checks.MinCosine, 0.99, 1.0);
        Assert.Equal("2", activated.Live.Version);
        Assert.Equal("int8", activated.Live.Precision);
    }

    [SharedDataFact]
    public async Task LoadDerivedInt8_ChecksFail_ActivateRefusedUnlessForced()
    {
        // A cosine of 1 cannot be met by int8 features: the checks fail on the first stored photo.
        await using var server = await ServerProcess.StartAsync(
            $"--Models:Path={_repository}", "--Models:Default=resnet18", "--Models:Version=1", "--Duplicates:Enabled=false", "--Models:DerivedMinCosine=1");
        var models = new ModelService.ModelServiceClient(server.Channel);
        await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 70)));

        var loaded = await models.LoadAsync(new LoadModelRequest { Name = "resnet18", Version = "2" });
        var refused = await Assert.ThrowsAsync<RpcException>(() => models.ActivateAsync(new ActivateModelRequest { Name = "resnet18", Version = "2" }).ResponseAsync);
        var forced = await models.ActivateAsync(new ActivateModelRequest { Name = "resnet18", Version = "2", Force = true });

        Assert.False(loaded.Checks.Passed);
        Assert.StartsWith("FAILED", loaded.Checks.Summary, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("quantizer's checks", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("2", forced.Live.Version);
    }

    [SharedDataFact]
    public async Task LoadActivateUnload_TwentyCycles_ResidentMemoryComesBack()
    {
        await using var server = await StartAsync();
        var models = new ModelService.ModelServiceClient(server.Channel);
        var photo = TestPhotos.Shot("graf1.png", 1);
        async Task CycleAsync()
        {
            await models.LoadAsync(new LoadModelRequest { Name = "resnet18", Version = "3" });
            await models.ActivateAsync(new ActivateModelRequest { Name = "resnet18", Version = "3" });
            Assert.Equal("3", (await server.Client.TriageAsync(Requests.Report(photo))).Model.Version);
            await models.ActivateAsync(new ActivateModelRequest { Name = "resnet18", Version = "1" });
            Assert.Equal("1", (await server.Client.TriageAsync(Requests.Report(photo))).Model.Version);
            await models.UnloadAsync(new UnloadModelRequest { Name = "resnet18", Version = "3" });
        }

        // The first cycles settle what stays for good (the second session's code paths, pools, JIT).
        await CycleAsync();
        await CycleAsync();
        var settled = server.ResidentBytes();
        for (var i = 0; i < 18; i++)
        {
            await CycleAsync();
        }

        var after = server.ResidentBytes();
        var listed = (await models.ListAsync(new ListModelsRequest())).Versions.Single(v => v is { Name: "resnet18", Version: "3" });

        output.WriteLine($"resident after 2 cycles {settled >> 20} MB, after 20 {after >> 20} MB ({(after - settled) / (double)(1 << 20):+0;-0} MB)");
        Assert.Equal(ModelState.Available, listed.State);
        // Measured over 80 cycles, the resident memory wanders between about 210 and 240 MB without a trend; a session
        // kept per cycle would add the model's weights (64 MB) each time, over 1 GB in 18 cycles.
        Assert.InRange(after - settled, long.MinValue, 64L << 20);
    }

    private static readonly string[] Scenes = ["graf1.png", "brick.png", "leuvenA.jpg"];

    private static ModelVersion Listed(ModelService.ModelServiceClient models, string name, string version) =>
        models.List(new ListModelsRequest()).Versions.Single(v => v.Name == name && v.Version == version);

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come within 60 s");
            await Task.Delay(50);
        }
    }

    private Task<ServerProcess> StartAsync() => ServerProcess.StartAsync(
        $"--Models:Path={_repository}", "--Models:Default=resnet18", "--Models:Version=1", "--Duplicates:Enabled=false");

    /// <summary>A new version of resnet18 dropped into the repository: the file first, the manifest last, as a copy tool would.</summary>
    private static void AddVersion(string repository, string version)
    {
        var directory = Directory.CreateDirectory(Path.Combine(repository, "resnet18", version)).FullName;
        File.CreateSymbolicLink(Path.Combine(directory, "model.onnx"), File.ResolveLinkTarget(Path.Combine(repository, "resnet18", "1", "model.onnx"), true)!.FullName);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(repository, "resnet18", "1", "manifest.json")))!.AsObject();
        manifest["version"] = version;
        File.WriteAllText(Path.Combine(directory, "manifest.json"), manifest.ToJsonString());
    }

    private static string BuildRepository()
    {
        var root = Directory.CreateTempSubdirectory("fidamia-models-").FullName;
        var built = Path.GetDirectoryName(ServerProcess.BuildOutput("Fidamia.Server", "Fidamia.Server.dll"))!;
        var onnx = Path.Combine(built, "models", "resnet18", "1", "model.onnx");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(built, "models", "resnet18", "1", "manifest.json")))!.AsObject();
        void Version(string name, string version, Action<JsonObject> change, Action<string>? file = null)
        {
            var directory = Directory.CreateDirectory(Path.Combine(root, name, version)).FullName;
            var copy = manifest.DeepClone().AsObject();
            copy["name"] = name;
            copy["version"] = version;
            change(copy);
            File.WriteAllText(Path.Combine(directory, "manifest.json"), copy.ToJsonString());
            if (file is null)
            {
                File.CreateSymbolicLink(Path.Combine(directory, "model.onnx"), onnx);
            }
            else
            {
                file(Path.Combine(directory, "model.onnx"));
            }
        }

        Version("resnet18", "1", _ => { });

        // The int8 version as shipped: its manifest and calibration ranges, built from version 1 at load.
        var int8 = Directory.CreateDirectory(Path.Combine(root, "resnet18", "2")).FullName;
        foreach (var file in new[] { "manifest.json", "calibration.json" })
        {
            File.Copy(Path.Combine(built, "models", "resnet18", "2", file), Path.Combine(int8, file));
        }

        Version("resnet18", "3", m => m["description"] = "the same file as version 1, under another version");
        Version("other-embedder", "1", m => m["description"] = "the same file as resnet18, under another name: another feature space as far as the service knows");
        Version("wrong-input", "1", m => m["input"]!["name"] = "Input999");
        Version("wrong-labels", "1", m =>
        {
            m["kind"] = "classifier";
            m["labels"] = new JsonArray("graffiti", "nid_de_poule", "depot_sauvage");
            m["output"]!["kind"] = "probabilities";
        });
        Version("corrupt", "1", _ => { }, path => File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))]));
        return root;
    }
}
