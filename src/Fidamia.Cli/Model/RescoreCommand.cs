using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Fidamia.Core;
using Fidamia.Core.Context;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Fusion;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Models;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Scheduling;
using Fidamia.Core.Scoring;
using Fidamia.Core.Storage;
using Fidamia.Gis;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Routing;
using Fidamia.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fidamia.Cli.Model;

/// <summary>
/// <c>fidamia model rescore --model DIR --since DATE</c>: what a candidate model would have decided on the stored reports,
/// beside what was decided, without touching any stored decision. Reads the store and the photo archive the service's
/// settings name (<c>--Key=value</c> after the options, as for <c>bench pipeline</c>), in pages in the order received;
/// the candidate runs through the service's scheduler, in batches when its batch dimension is dynamic. Each page ends
/// with a checkpoint in <c>--out</c>: an interrupted rescore started again with the same model, date and folder goes on
/// from there.
/// </summary>
internal static class RescoreCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The candidate model version folder", Required = true };
        var since = new Option<DateTimeOffset>("--since") { Description = "Rescore the reports received since then (e.g. 2026-01-01)", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where the changes (changes.csv), the summary and the checkpoint go (default: rescore/)" };
        var batch = new Option<int>("--batch") { Description = "Reports per page, and most photos per model run", DefaultValueFactory = _ => 16 };
        var config = new Option<FileInfo?>("--config") { Description = "A settings file (e.g. the service's appsettings.json)" };
        var command = new Command("rescore", "What a candidate model would decide on the stored reports, beside what was decided (settings as --Key=value after the options)")
        {
            model, since, output, batch, config,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!LocalHost.TrySettings(result, out var settings))
            {
                return ModelTools.ExitUsage;
            }

            if (result.GetValue(batch) is < 1 or > 256)
            {
                await Console.Error.WriteLineAsync("error: --batch must be between 1 and 256");
                return ModelTools.ExitUsage;
            }

            try
            {
                return await RunAsync(
                    result.GetValue(model)!, result.GetValue(since), result.GetValue(output) ?? new DirectoryInfo("rescore"), result.GetValue(batch),
                    result.GetValue(config), settings, cancellationToken);
            }
            catch (ToolUsageException ex)
            {
                await Console.Error.WriteLineAsync("error: " + ex.Message);
                return ModelTools.ExitUsage;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(
        DirectoryInfo folder, DateTimeOffset since, DirectoryInfo output, int batch, FileInfo? config, string[] settings, CancellationToken cancellationToken)
    {
        var builder = LocalHost.CreateBuilder(config, settings).AddService();

        // Not started: no retention sweep, no memory sync, no served model from a tool; the stores open on first use.
        using var host = builder.Build();
        var services = host.Services;
        var (candidate, manifest) = ModelTools.Load(folder, "--model");
        using (candidate)
        {
            var id = $"{manifest.Name}/{manifest.Version}";
            output.Create();
            var checkpointPath = Path.Combine(output.FullName, "checkpoint.json");
            var checkpoint = Checkpoint.Read(checkpointPath);
            if (checkpoint is not null && (checkpoint.Model != id || checkpoint.Since != since))
            {
                throw new ToolUsageException($"--out {output.FullName} holds a rescore of {checkpoint.Model} since {checkpoint.Since:yyyy-MM-dd}: give another --out, or remove it to start again");
            }

            checkpoint ??= new Checkpoint { Model = id, Since = since };
            var reports = services.GetRequiredService<IReportStore>();
            var scorer = await ScorerAsync(candidate, services, cancellationToken);
            var total = await reports.CountReceivedAsync(since, cancellationToken);
            using var rescorer = new Rescorer(candidate, scorer, services, batch);
            var changes = Path.Combine(output.FullName, "changes.csv");
            // The lines of a page written before a kill cut its checkpoint short would come again: what the checkpoint counts stays.
            var kept = File.Exists(changes) ? File.ReadLines(changes).Skip(1).Take((int)checkpoint.ChangesWritten).ToList() : [];
            await File.WriteAllLinesAsync(changes, ["report_id,received_at,territory,commune,decided_by,status,label,confidence,candidate_status,candidate_label,candidate_confidence", .. kept], cancellationToken);

            using (var progress = new ProgressBar($"rescoring {total} reports since {since:yyyy-MM-dd} with {id}{(checkpoint.Done > 0 ? $" (going on after {checkpoint.Done})" : "")}", (int)Math.Min(int.MaxValue, total)))
            {
                for (var i = 0; i < checkpoint.Done; i++)
                {
                    progress.Advance();
                }

                while (!checkpoint.Finished && !cancellationToken.IsCancellationRequested)
                {
                    var page = await reports.ListReceivedAsync(since, checkpoint.After, batch, CancellationToken.None);
                    if (page.Count == 0)
                    {
                        checkpoint.Finished = true;
                        break;
                    }

                    Outcome[] outcomes;
                    try
                    {
                        outcomes = await Task.WhenAll(page.Select(r => rescorer.RescoreAsync(r.ReportId, cancellationToken)));
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        break; // Ctrl+C: the page goes uncounted; the checkpoint is the last page's
                    }

                    var lines = new StringBuilder();
                    foreach (var outcome in outcomes)
                    {
                        checkpoint.Count(outcome);
                        if (outcome.Changed)
                        {
                            lines.Append(outcome.CsvLine()).Append('\n');
                            checkpoint.ChangesWritten++;
                        }

                        progress.Advance();
                    }

                    await File.AppendAllTextAsync(changes, lines.ToString(), CancellationToken.None);
                    checkpoint.After = page[^1];
                    checkpoint.Write(checkpointPath);
                }
            }

            checkpoint.Write(checkpointPath);
            var summary = checkpoint.Summary(total);
            await File.WriteAllTextAsync(Path.Combine(output.FullName, "summary.txt"), summary, CancellationToken.None);
            Console.WriteLine(summary);
            if (!checkpoint.Finished)
            {
                Console.WriteLine($"interrupted: run the same command again to go on from report {checkpoint.Done + 1}");
                return 130;
            }

            Console.WriteLine($"written: {changes}, {Path.Combine(output.FullName, "summary.txt")}");
            ModelTools.NoteIfSmall((int)Math.Min(int.MaxValue, total), "reports");
            return 0;
        }
    }

    /// <summary>A classifier's own head; an embedding model's memory as the store holds it (what operators taught that model name).</summary>
    private static async Task<IImageScorer> ScorerAsync(OnnxImageModel candidate, IServiceProvider services, CancellationToken cancellationToken)
    {
        var scorer = services.GetRequiredService<ModelScorers>().For(candidate.Descriptor);
        if (scorer is PrototypeMemory memory)
        {
            var (examples, _) = await services.GetRequiredService<IPrototypeStore>().ReadAsync(memory.Model, null, cancellationToken);
            memory.Add(examples.Select(e => e.Example));
            memory.Consolidate(cancellationToken);
            Console.Error.WriteLine($"memory of {memory.Model}: {memory.Count} examples in the store");
        }

        return scorer;
    }

    /// <summary>One report rescored: its current decision (a person's when operators decided) and the candidate's.</summary>
    private sealed record Outcome(StoredReport? Stored, TriageDecision? Candidate)
    {
        public bool Rescored => Stored is not null && Candidate is not null;

        public bool Human => Stored?.Decision.Source == DecisionSource.Human;

        public bool LabelChanged => Rescored && Stored!.Decision.LabelCode != Candidate!.Label?.Code;

        public bool StatusChanged => Rescored && Routed(Stored!.Decision.Status) != (Candidate!.Status == TriageStatus.Routed);

        public bool Changed => LabelChanged || StatusChanged;

        public string CsvLine()
        {
            var (report, decision) = (Stored!.Report, Stored.Decision);
            return string.Create(CultureInfo.InvariantCulture,
                $"{report.ReportId},{report.ReceivedAt:O},\"{decision.Context.Territory}\",{decision.Context.Commune.Insee},{(Human ? "operator" : "model")},{decision.Status},{decision.LabelCode},{decision.Confidence:0.####},{Candidate!.Status},{Candidate.Label?.Code},{Candidate.Confidence:0.####}");
        }

        private static bool Routed(TriageStatus status) => status is TriageStatus.Routed or TriageStatus.Duplicate;
    }

    /// <summary>Decodes stored photos and runs them through the candidate, as the service's pipeline would, up to the decision.</summary>
    private sealed class Rescorer(OnnxImageModel candidate, IImageScorer scorer, IServiceProvider services, int batch) : IDisposable
    {
        private readonly IReportStore _reports = services.GetRequiredService<IReportStore>();
        private readonly IPhotoArchive _archive = services.GetRequiredService<IPhotoArchive>();
        private readonly IPhotoDecoder _decoder = services.GetRequiredService<IPhotoDecoder>();
        private readonly ILocator _locator = services.GetRequiredService<ILocator>();
        private readonly IContextPrior _prior = services.GetRequiredService<IContextPrior>();
        private readonly EvidenceFusion _fusion = services.GetRequiredService<EvidenceFusion>();
        private readonly TriagePolicy _policy = services.GetRequiredService<TriagePolicy>();
        private readonly SemaphoreSlim _decodes = new(Environment.ProcessorCount, Environment.ProcessorCount);

        // The service's scheduler: requests waiting together share a run when the model's batch dimension allows it.
        private readonly InferenceScheduler _scheduler = new(
            candidate,
            Options.Create(new SchedulerOptions { MaxBatchSize = batch, MaxConcurrentRuns = 1, MaxQueueDelayMicroseconds = 2000 }),
            services.GetRequiredService<FidamiaMetrics>(),
            NullLogger<InferenceScheduler>.Instance);

        public void Dispose()
        {
            _scheduler.Dispose();
            _decodes.Dispose();
        }

        public async Task<Outcome> RescoreAsync(string reportId, CancellationToken cancellationToken)
        {
            var stored = await _reports.FindAsync(reportId, cancellationToken);
            var photo = stored is null || stored.Report.PhotoDeletedAt is not null ? null : await _archive.ReadAsync(stored.Report.PhotoSha256, cancellationToken);
            if (stored is null || photo is null)
            {
                return new Outcome(stored, null);
            }

            var spec = candidate.Descriptor.Input;
            var tensor = new float[spec.Length];
            PhotoMetadata metadata;
            await _decodes.WaitAsync(cancellationToken);
            try
            {
                // The stored file has no EXIF left; its position was kept beside the report.
                metadata = _decoder.DecodeInto(photo, spec, tensor, cancellationToken) with
                {
                    ExifLocation = stored.Report.ExifLat is { } lat && stored.Report.ExifLon is { } lon ? new GeoPoint(lat, lon) : null,
                };
            }
            catch (Core.Errors.InvalidReportException)
            {
                return new Outcome(stored, null);
            }
            finally
            {
                _decodes.Release();
            }

            var output = new float[candidate.Descriptor.OutputLength];
            await _scheduler.InferAsync(tensor, output, cancellationToken);
            var report = new TriageReport
            {
                ReportId = reportId,
                Photo = photo,
                Location = new GeoPoint(stored.Report.Lat, stored.Report.Lon, stored.Report.AccuracyM),
                DeclaredCategory = stored.Report.DeclaredCategory,
                Channel = stored.Report.Channel,
                ReportedAt = stored.Report.ReportedAt,
            };
            var location = report.Location!.Value;
            var context = _locator.Locate(location) ?? stored.Decision.Context;
            var posterior = _fusion.Fuse(scorer.Score(output), _prior.For(context), report.DeclaredCategory, report.Channel);
            return new Outcome(stored, _policy.Decide(report, location, context, metadata, posterior, candidate.Descriptor));
        }
    }

    /// <summary>Where a rescore stands: written after every page, read back to go on.</summary>
    private sealed class Checkpoint
    {
        public required string Model { get; init; }

        public required DateTimeOffset Since { get; init; }

        public ReceivedReport? After { get; set; }

        public bool Finished { get; set; }

        public long Done { get; set; }

        /// <summary>Lines of changes.csv (after its header) that belong to the pages counted here.</summary>
        public long ChangesWritten { get; set; }

        public long Rescored { get; set; }

        public long WithoutPhoto { get; set; }

        public long LabelChanged { get; set; }

        public long ToReview { get; set; }

        public long ToRouted { get; set; }

        public long HumanDecided { get; set; }

        public long AgreesWithHumans { get; set; }

        public Dictionary<string, long> Moves { get; init; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> ChangesByTerritory { get; init; } = new(StringComparer.Ordinal);

        public static Checkpoint? Read(string path) => File.Exists(path) ? JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(path), Json) : null;

        public void Write(string path)
        {
            File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Json));
            File.Move(path + ".tmp", path, overwrite: true);
        }

        public void Count(Outcome outcome)
        {
            Done++;
            if (!outcome.Rescored)
            {
                WithoutPhoto++;
                return;
            }

            Rescored++;
            if (outcome.Human)
            {
                HumanDecided++;
                AgreesWithHumans += outcome.LabelChanged ? 0 : 1;
            }

            if (outcome.LabelChanged)
            {
                LabelChanged++;
                var move = $"{outcome.Stored!.Decision.LabelCode ?? "(none)"} -> {outcome.Candidate!.Label?.Code ?? "(none)"}";
                Moves[move] = Moves.GetValueOrDefault(move) + 1;
            }

            if (outcome.StatusChanged)
            {
                if (outcome.Candidate!.Status == TriageStatus.Routed)
                {
                    ToRouted++;
                }
                else
                {
                    ToReview++;
                }
            }

            if (outcome.Changed)
            {
                var territory = outcome.Stored!.Decision.Context.Territory;
                ChangesByTerritory[territory] = ChangesByTerritory.GetValueOrDefault(territory) + 1;
            }
        }

        public string Summary(long total)
        {
            var text = new StringBuilder();
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{Model} on the reports received since {Since:yyyy-MM-dd}: {Done} of {total} read, {Rescored} rescored, {WithoutPhoto} without their photo (retention) or undecodable"));
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"label would change on {LabelChanged} ({ModelTools.Percent(Rescored > 0 ? LabelChanged / (double)Rescored : null)}); {ToRouted} would be routed instead of reviewed, {ToReview} reviewed instead of routed"));
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"on the {HumanDecided} reports operators decided, the candidate agrees with them on {AgreesWithHumans} ({ModelTools.Percent(HumanDecided > 0 ? AgreesWithHumans / (double)HumanDecided : null)})"));
            if (Moves.Count > 0)
            {
                text.AppendLine("label changes (current -> candidate), most first:");
                foreach (var (move, count) in Moves.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Take(15))
                {
                    text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {move}: {count}"));
                }
            }

            if (ChangesByTerritory.Count > 0)
            {
                text.AppendLine("changes by territory:");
                foreach (var (territory, count) in ChangesByTerritory.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal))
                {
                    text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {territory}: {count}"));
                }
            }

            return text.ToString().TrimEnd();
        }
    }
}
