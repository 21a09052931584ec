using Fidamia.Core.Diagnostics;
using System.CommandLine;
using Fidamia.Core;
using Fidamia.Core.Errors;
using Fidamia.Core.Geo;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Gis;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Routing;
using Fidamia.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fidamia.Cli.Bench;

/// <summary>
/// <c>fidamia bench pipeline</c>: the service's own triage pipeline, built from the same settings, called in-process
/// by the same closed loop as <c>bench load</c>; the ratio of the two is what gRPC and the host cost.
/// </summary>
internal static class PipelineBench
{
    public static Command Create()
    {
        var options = new BenchOptions(defaultLevels: "1,2,4,8");
        var config = new Option<FileInfo?>("--config") { Description = "A settings file (e.g. the service's appsettings.json)" };
        var compare = new Option<bool>("--compare-store")
        {
            Description = "Also run every level with reports kept nowhere, alternating with the configured store, and print throughput with / without",
        };
        var rounds = new Option<string>("--rounds") { Description = "With --compare-store: rounds of (without, with) in alternating order", DefaultValueFactory = _ => "2" };
        var command = new Command("pipeline", "Run the triage pipeline in-process from N concurrent callers (settings as --Key=value after the options)");
        foreach (var option in options.All.Append(config).Append(compare).Append(rounds))
        {
            command.Options.Add(option);
        }

        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!LocalHost.TrySettings(result, out var settings))
            {
                return BenchCommand.ExitUsage;
            }

            if (!options.TryRead(result, Console.Error, out var bench))
            {
                return BenchCommand.ExitUsage;
            }

            if (!BenchArguments.TryParsePositiveInt(result.GetValue(rounds), out var roundCount) || roundCount > 20)
            {
                await Console.Error.WriteLineAsync($"error: --rounds must be an integer from 1 to 20, not '{result.GetValue(rounds)}'");
                return BenchCommand.ExitUsage;
            }

            return await RunAsync(bench, result.GetValue(config), settings, result.GetValue(compare) ? roundCount : 0, cancellationToken);
        });
        return command;
    }

    /// <summary>The status the service would answer for a pipeline failure (its ErrorMappingInterceptor's mapping).</summary>
    internal static string StatusName(Exception exception) => exception switch
    {
        InvalidReportException => "INVALID_ARGUMENT",
        ReportConflictException => "ALREADY_EXISTS",
        CapacityExceededException => "RESOURCE_EXHAUSTED",
        OperationCanceledException => "CANCELLED",
        _ => "INTERNAL",
    };

    /// <param name="compareRounds">Rounds of the comparison with reports kept nowhere; 0 for none.</param>
    private static async Task<int> RunAsync(BenchSettings bench, FileInfo? config, string[] settings, int compareRounds, CancellationToken cancellationToken)
    {
        var builder = LocalHost.CreateBuilder(config, settings);
        // A fresh state unless told otherwise: the bench must not teach, or read, a real prototype memory.
        string? scratch = null;
        if (string.IsNullOrEmpty(builder.Configuration[DataDirectory.ConfigurationKey]))
        {
            scratch = Directory.CreateTempSubdirectory("fidamia-bench-").FullName;
            builder.Configuration.AddInMemoryCollection([new(DataDirectory.ConfigurationKey, scratch)]);
        }

        // A failed start is reported below in one line; the host's own report of it is a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.AddService();

        try
        {
            using var host = builder.Build();
            TriagePipeline pipeline;
            try
            {
                await host.StartAsync(cancellationToken);
                // As the server's start-up check does: the model is loaded and warmed up here, not in the first level.
                pipeline = host.Services.GetRequiredService<TriagePipeline>();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                StartupProblems.Report("the pipeline", ex, Console.Error, StartupProblems.DetailAskedFor(builder.Configuration["Logging:LogLevel:Default"]));
                return BenchCommand.ExitUsage;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return BenchCommand.ExitInterrupted;
            }

            // Each caller blocks a pool thread for as long as the synchronous stages run; without enough threads
            // from the start, the pool's slow thread injection would be measured instead of the pipeline.
            ThreadPool.GetMinThreads(out var workers, out var completion);
            ThreadPool.SetMinThreads(Math.Max(workers, bench.Plan.Levels.Max() + Environment.ProcessorCount), completion);

            var location = new GeoPoint(bench.Lat, bench.Lon, 10);
            var runId = Guid.NewGuid().ToString("N")[..12];
            // The same stages, the same model and admission; only where reports are kept differs.
            var unstored = compareRounds > 0
                ? ActivatorUtilities.CreateInstance<TriagePipeline>(
                    host.Services, new UnkeptReports(), new UnkeptPhotos(),
                    new Core.Duplicates.DuplicateFinder(new UnkeptReports(), host.Services.GetRequiredService<Core.Duplicates.DuplicatePolicy>()))
                : null;
            async Task<string?> CallAsync(TriagePipeline target, long sequence, CancellationToken token)
            {
                var report = new TriageReport
                {
                    ReportId = $"bench-{runId}-{(ReferenceEquals(target, unstored) ? "u" : "s")}{sequence}",
                    Photo = bench.Photos[(int)(sequence % bench.Photos.Count)].Bytes,
                    Location = location,
                    Channel = bench.Channel,
                    ReportedAt = DateTimeOffset.UtcNow,
                };
                try
                {
                    await target.TriageAsync(report, token);
                    return null;
                }
                catch (Exception ex)
                {
                    return StatusName(ex);
                }
            }

            using var floor = bench.Floor > TimeSpan.Zero
                ? FloorMeasurement.Open(host.Services.GetRequiredService<OnnxImageModel>().Directory, bench.Photos)
                : null;
            floor?.Measure(bench.Floor, cancellationToken);
            using var probe = ProcessProbe.TryOpen(Environment.ProcessId);
            Task<IReadOnlyList<LevelResult>> Measure(TriagePipeline pipeline) =>
                new BenchRunner(bench.Plan, (sequence, token) => CallAsync(pipeline, sequence, token), probe, BenchOptions.Progress).RunAsync(cancellationToken);

            var levels = new List<LevelResult>();
            var withoutStore = new List<LevelResult>();
            if (unstored is null)
            {
                levels.AddRange(await Measure(pipeline));
            }
            else
            {
                // Alternating which goes first, so that a machine warming up or slowing down weighs on both alike.
                for (var round = 0; round < compareRounds && !cancellationToken.IsCancellationRequested; round++)
                {
                    var order = round % 2 == 0 ? new[] { unstored, pipeline } : [pipeline, unstored];
                    foreach (var variant in order)
                    {
                        (ReferenceEquals(variant, unstored) ? withoutStore : levels).AddRange(await Measure(variant));
                    }
                }
            }

            if (!cancellationToken.IsCancellationRequested)
            {
                floor?.Measure(bench.Floor, cancellationToken);
            }

            await host.StopAsync(CancellationToken.None);
            var report = BenchReport.Of("pipeline", null, bench, levels, cancellationToken.IsCancellationRequested).WithFloor(floor?.Result()) with
            {
                StoreComparison = unstored is null ? null : StoreComparison.Of(
                    host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.Provider.ToString().ToLowerInvariant(),
                    compareRounds, levels, withoutStore),
            };
            return BenchOptions.Finish(report, bench.Json, cancellationToken);
        }
        finally
        {
            if (scratch is not null)
            {
                try
                {
                    Directory.Delete(scratch, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
