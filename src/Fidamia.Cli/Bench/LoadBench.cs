using System.CommandLine;
using Fidamia.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Fidamia.Inference;

namespace Fidamia.Cli.Bench;

/// <summary>
/// <c>fidamia bench load</c>: a gRPC load generator against a service on this machine. Loopback only, bounded in
/// time and in requests: a load tool must not reach production by accident.
/// </summary>
internal static class LoadBench
{
    // Room for the largest photo the service accepts (20 MB) and the rest of the request.
    private const int MaxMessageBytes = 32 * 1024 * 1024;

    public static Command Create()
    {
        var options = new BenchOptions(defaultLevels: "1,2,4,8,16");
        var server = new Option<string>("--server") { Description = "The service's gRPC address, on this machine", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var timeout = new Option<string>("--timeout") { Description = "Deadline of each call", DefaultValueFactory = _ => "30s" };
        var serverPid = new Option<string?>("--server-pid") { Description = "The service's process id: its peak memory and CPU per request are read from /proc" };
        var wait = new Option<string>("--wait") { Description = "How long to wait for the service to be ready (health SERVING) before the first level", DefaultValueFactory = _ => "60s" };
        var swap = new Option<string?>("--swap")
        {
            Description = "NAME/VERSION of a model version: loaded before the first level, then made live halfway through each level, in turn with the version live at the start; the calls around each swap are reported",
        };

        var models = new Option<string?>("--models")
        {
            Description = "The model repository the floor loads the server's live version from (by default the one shipped with this tool)",
        };
        var command = new Command("load", "Send photos to the service from N concurrent callers and report throughput, latency and errors per level");
        foreach (var option in options.All.Prepend(server).Append(timeout).Append(serverPid).Append(wait).Append(swap).Append(models))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            var error = Console.Error;
            if (!BenchArguments.TryParseLoopbackServer(result.GetValue(server), out var address, out var serverProblem))
            {
                await error.WriteLineAsync("error: " + serverProblem);
                return BenchCommand.ExitUsage;
            }

            if (!BenchArguments.TryParseDuration(result.GetValue(timeout), out var deadline) || deadline <= TimeSpan.Zero)
            {
                await error.WriteLineAsync($"error: --timeout must be a positive duration (30s, 500ms, 2m or seconds), not '{result.GetValue(timeout)}'");
                return BenchCommand.ExitUsage;
            }

            if (!BenchArguments.TryParseDuration(result.GetValue(wait), out var readiness) || readiness < TimeSpan.Zero)
            {
                await error.WriteLineAsync($"error: --wait must be a duration (60s, 500ms, 2m or seconds), not '{result.GetValue(wait)}'");
                return BenchCommand.ExitUsage;
            }

            var pid = 0;
            if (result.GetValue(serverPid) is { } pidText && !BenchArguments.TryParsePositiveInt(pidText, out pid))
            {
                await error.WriteLineAsync($"error: --server-pid must be a process id, not '{pidText}'");
                return BenchCommand.ExitUsage;
            }

            if (!options.TryRead(result, error, out var settings))
            {
                return BenchCommand.ExitUsage;
            }

            (string Name, string Version)? swapTo = null;
            if (result.GetValue(swap) is { } swapText)
            {
                var parts = swapText.Split('/');
                if (parts.Length != 2 || parts.Any(string.IsNullOrWhiteSpace))
                {
                    await error.WriteLineAsync($"error: --swap must name a model version as NAME/VERSION (e.g. resnet18/2), not '{swapText}'");
                    return BenchCommand.ExitUsage;
                }

                swapTo = (parts[0], parts[1]);
            }

            using var probe = pid > 0 ? ProcessProbe.TryOpen(pid) : null;
            if (pid > 0 && probe is null)
            {
                await error.WriteLineAsync($"warning: no /proc/{pid}/status here; the server's memory and CPU are not reported");
            }

            // Typed by a person: relative to where they stand.
            var repository = result.GetValue(models) is { Length: > 0 } path ? Path.GetFullPath(path) : new InferenceOptions().ResolvedPath;
            return await RunAsync(address, CliAuth.TokenFor(result), deadline, readiness, settings, probe, swapTo, repository, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        Uri server, string? token, TimeSpan deadline, TimeSpan readiness, BenchSettings settings, ProcessProbe? probe, (string Name, string Version)? swapTo,
        string modelRepository, CancellationToken cancellationToken)
    {
        using var channel = CliAuth.Open(server, token, new GrpcChannelOptions
        {
            // One connection multiplexes the calls; more open when the server's stream limit is reached rather than queueing behind it.
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            MaxSendMessageSize = MaxMessageBytes,
            MaxReceiveMessageSize = MaxMessageBytes,
        });
        // A server started a moment ago (`... & server=$!`) loads its model before it serves: wait for it, not for errors.
        if (!await WaitUntilServingAsync(channel, readiness, cancellationToken))
        {
            await Console.Error.WriteLineAsync($"error: the service at {server} is not serving after {readiness.TotalSeconds:0.#} s (--wait)");
            return BenchCommand.ExitNothingSucceeded;
        }

        var client = new TriageService.TriageServiceClient(channel);
        var photos = settings.Photos.Select(p => ByteString.CopyFrom(p.Bytes)).ToArray();
        var location = new Protos.V1.GeoPoint { Lat = settings.Lat, Lon = settings.Lon, AccuracyM = 10 };
        var channelKind = (Channel)(int)settings.Channel;
        // The service is idempotent on report_id: a repeated id would be answered from its cache, not triaged.
        var runId = Guid.NewGuid().ToString("N")[..12];

        async Task<string?> CallAsync(long sequence, CancellationToken token)
        {
            var request = new TriageRequest
            {
                ReportId = $"bench-{runId}-{sequence}",
                Photo = photos[sequence % photos.Length],
                Location = location,
                Channel = channelKind,
                ReportedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            };
            try
            {
                await client.TriageAsync(request, deadline: DateTime.UtcNow + deadline, cancellationToken: token);
                return null;
            }
            catch (RpcException ex)
            {
                return TriageCommand.CanonicalName(ex.StatusCode);
            }
        }

        Func<int, CancellationToken, Task<MidLevelEvent>>? midLevel = null;
        if (swapTo is { } target)
        {
            var models = new ModelService.ModelServiceClient(channel);
            ModelVersion live;
            try
            {
                live = (await models.StatusAsync(new ModelStatusRequest(), cancellationToken: cancellationToken)).Live;
                await models.LoadAsync(new LoadModelRequest { Name = target.Name, Version = target.Version }, cancellationToken: cancellationToken);
            }
            catch (RpcException ex)
            {
                await Console.Error.WriteLineAsync($"error: --swap: {TriageCommand.CanonicalName(ex.StatusCode)}: {ex.Status.Detail}");
                return BenchCommand.ExitNothingSucceeded;
            }

            var versions = new[] { (live.Name, live.Version), target };
            var swaps = 0;
            midLevel = async (_, token) =>
            {
                var (from, to) = (versions[swaps % 2], versions[(swaps + 1) % 2]);
                swaps++;
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                string? failure = null;
                try
                {
                    await models.ActivateAsync(new ActivateModelRequest { Name = to.Item1, Version = to.Item2 }, cancellationToken: token);
                }
                catch (RpcException ex)
                {
                    failure = $"{TriageCommand.CanonicalName(ex.StatusCode)}: {ex.Status.Detail}";
                }

                return new MidLevelEvent($"{from.Item1}/{from.Item2} -> {to.Item1}/{to.Item2}", failure, started, System.Diagnostics.Stopwatch.GetTimestamp());
            };
        }

        using var floor = settings.Floor > TimeSpan.Zero ? await OpenFloorAsync(channel, modelRepository, settings, cancellationToken) : null;
        floor?.Measure(settings.Floor, cancellationToken);
        using var self = ProcessProbe.TryOpen(Environment.ProcessId);
        var levels = await new BenchRunner(settings.Plan, CallAsync, probe, BenchOptions.Progress) { MidLevel = midLevel, ClientProbe = self }.RunAsync(cancellationToken);
        if (!cancellationToken.IsCancellationRequested)
        {
            floor?.Measure(settings.Floor, cancellationToken);
        }

        var report = BenchReport.Of("load", server.ToString(), settings, levels, cancellationToken.IsCancellationRequested).WithFloor(floor?.Result());
        return BenchOptions.Finish(report, settings.Json, cancellationToken);
    }

    /// <summary>
    /// The floor on the version the server serves, loaded from the local repository; null, with a warning, when the
    /// server does not say which (no <c>models</c> role) or the repository here does not have it.
    /// </summary>
    private static async Task<FloorMeasurement?> OpenFloorAsync(GrpcChannel channel, string repository, BenchSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            var live = (await new ModelService.ModelServiceClient(channel).StatusAsync(new ModelStatusRequest(), cancellationToken: cancellationToken)).Live;
            var directory = new ModelRepository(repository).Resolve(live.Name, live.Version);
            return FloorMeasurement.Open(directory, settings.Photos)
                ?? Warn("none of the photos decodes with Skia alone");
        }
        catch (RpcException ex)
        {
            return Warn($"the server does not say which model it serves ({TriageCommand.CanonicalName(ex.StatusCode)}: {ex.Status.Detail})");
        }
        catch (ModelLoadException ex)
        {
            return Warn(ex.Message);
        }

        static FloorMeasurement? Warn(string why)
        {
            Console.Error.WriteLine("warning: no floor measured: " + why);
            return null;
        }
    }

    private static async Task<bool> WaitUntilServingAsync(GrpcChannel channel, TimeSpan readiness, CancellationToken cancellationToken)
    {
        var health = new Grpc.Health.V1.Health.HealthClient(channel);
        var until = DateTime.UtcNow + readiness;
        while (true)
        {
            try
            {
                var answer = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken);
                if (answer.Status == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return true;
                }
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
            }

            if (DateTime.UtcNow >= until)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }
}
