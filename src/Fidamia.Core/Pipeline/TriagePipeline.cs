using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Fidamia.Core.Context;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Duplicates;
using Fidamia.Core.Errors;
using Fidamia.Core.Fusion;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Models;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Core.Scheduling;
using Fidamia.Core.Scoring;
using Fidamia.Core.Storage;
using Fidamia.Core.Taxonomy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Pipeline;

/// <summary>
/// The triage pipeline. Owns the order of the stages: admit, validate, locate, decode, preprocess,
/// infer, score, fuse, decide, store. Locating comes before decoding because it is cheap and a point
/// outside the territory makes the photo irrelevant.
/// </summary>
public sealed class TriagePipeline
{
    private readonly ReportValidator _validator;
    private readonly ILocator _locator;
    private readonly PhotoModelRunner _runner;
    private readonly IContextPrior _contextPrior;
    private readonly EvidenceFusion _fusion;
    private readonly TriagePolicy _policy;
    private readonly FidamiaMetrics _metrics;
    private readonly ILogger<TriagePipeline> _logger;
    private readonly IReportStore _store;
    private readonly IPhotoArchive _archive;
    private readonly DuplicateFinder _duplicates;
    private readonly DeclaredLabels _declared;
    private readonly Shadow.ShadowTraffic _shadow;
    private readonly TimeProvider _timeProvider;
    private readonly InFlightReports _inFlight = new();

    public TriagePipeline(
        ReportValidator validator,
        ILocator locator,
        PhotoModelRunner runner,
        IContextPrior contextPrior,
        EvidenceFusion fusion,
        TriagePolicy policy,
        IReportStore store,
        IPhotoArchive archive,
        DuplicateFinder duplicates,
        DeclaredLabels declared,
        Shadow.ShadowTraffic shadow,
        TimeProvider timeProvider,
        FidamiaMetrics metrics,
        ILogger<TriagePipeline> logger)
    {
        _store = store;
        _archive = archive;
        _duplicates = duplicates;
        _declared = declared;
        _shadow = shadow;
        _timeProvider = timeProvider;
        _validator = validator;
        _locator = locator;
        _runner = runner;
        _contextPrior = contextPrior;
        _fusion = fusion;
        _policy = policy;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>
    /// Triages one report. Idempotent on <see cref="TriageReport.ReportId"/>: the same report
    /// again gets the same decision; a different report under a used id is a conflict.
    /// </summary>
    public async Task<TriageDecision> TriageAsync(TriageReport report, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();

        // One span per triage, under the caller's (W3C trace context, taken from the request by the host); a child per stage.
        using var activity = FidamiaMetrics.ActivitySource.StartActivity("triage");
        activity?.SetTag("fidamia.report_id", report.ReportId);
        try
        {
            // Refuse an overload before any work: no lookup, no hash, no database read for a call that is turned away.
            using var ticket = _runner.Admit();
            var context = Stage("validate", () => Validate(report));
            var fingerprint = Fingerprint(report);
            while (true)
            {
                // A report stored before (by this instance before a restart, or by another on the same database).
                if (await _store.FindAsync(report.ReportId, cancellationToken) is { } stored)
                {
                    return await ReplayAsync(report, stored, fingerprint, cancellationToken);
                }

                // Concurrent calls with one id in this process do the work once.
                var fresh = new InFlightReports.Entry(fingerprint);
                var entry = _inFlight.GetOrAdd(report.ReportId, fresh, out var added);
                if (!added)
                {
                    if (!CryptographicOperations.FixedTimeEquals(entry.Fingerprint, fingerprint))
                    {
                        throw Conflict(report.ReportId);
                    }

                    try
                    {
                        var earlier = await entry.Outcome.Task.WaitAsync(cancellationToken);
                        _metrics.Replayed();
                        Log.Replayed(_logger, report.ReportId);
                        return earlier;
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // The first caller gave up; this one still wants an answer.
                        continue;
                    }
                }

                try
                {
                    var decision = await RunAsync(report, context, fingerprint, ticket, cancellationToken);
                    entry.Outcome.SetResult(decision);
                    Record(decision, started);
                    return decision;
                }
                catch (Exception ex)
                {
                    entry.Outcome.SetException(ex);
                    _ = entry.Outcome.Task.Exception; // observed: waiters get it, or nobody needs it
                    throw;
                }
                finally
                {
                    // Once stored (or failed) the store answers repeats; a failed attempt may be retried.
                    _inFlight.Forget(report.ReportId, entry);
                }
            }
        }
        catch (InvalidReportException ex)
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                Log.Refused(_logger, Printable(report.ReportId), string.Join(", ", ex.Violations.Select(v => v.Field)));
            }

            _metrics.ReportTriaged("invalid", Stopwatch.GetElapsedTime(started).TotalSeconds);
            throw;
        }
        catch (ReportConflictException)
        {
            _metrics.ReportTriaged("conflict", Stopwatch.GetElapsedTime(started).TotalSeconds);
            throw;
        }
        catch (CapacityExceededException ex)
        {
            Log.AtCapacity(_logger, Printable(report.ReportId), ex.RetryAfter.TotalMilliseconds);
            _metrics.ReportTriaged("at_capacity", Stopwatch.GetElapsedTime(started).TotalSeconds);
            throw;
        }
        catch (OperationCanceledException)
        {
            _metrics.ReportTriaged("cancelled", Stopwatch.GetElapsedTime(started).TotalSeconds);
            throw;
        }
    }

    /// <summary>
    /// Every violation that can be known without decoding the photo, listed together: the fields, the point outside the
    /// territory (locating is cheap and makes a photo from elsewhere moot), the photo's size and format by signature.
    /// </summary>
    private LocationContext Validate(TriageReport report)
    {
        var violations = _validator.Check(report);
        LocationContext? context = null;
        if (report.Location is { } location && !violations.Exists(v => v.Field.StartsWith("location", StringComparison.Ordinal)))
        {
            context = Stage("locate", () => _locator.Locate(location));
            if (context is null)
            {
                violations.Add(new("location", "is outside the served territory (no commune of the Métropole contains it)"));
            }
        }

        if (!report.Photo.IsEmpty && _runner.Precheck(report.Photo.Span) is { } photoViolation)
        {
            violations.Add(photoViolation);
        }

        return violations.Count > 0 ? throw new InvalidReportException(violations) : context!;
    }

    public Taxonomy.Taxonomy Taxonomy => _policy.Taxonomy;

    /// <summary>A stored report's current decision.</summary>
    /// <exception cref="NotFoundException">No report is stored under the id.</exception>
    public async Task<TriageDecision> GetReportAsync(string reportId, CancellationToken cancellationToken)
    {
        var violation = ReportValidator.CheckReportId(reportId);
        if (violation is not null)
        {
            throw new InvalidReportException([violation]);
        }

        return await _store.FindAsync(reportId, cancellationToken) is { } stored
            ? await CurrentAsync(stored, cancellationToken)
            : throw new NotFoundException($"no report '{reportId}' is stored");
    }

    private async Task<TriageDecision> RunAsync(TriageReport report, LocationContext context, byte[] fingerprint, PhotoAdmission.Ticket ticket, CancellationToken cancellationToken)
    {
        var location = report.Location!.Value;

        var run = await _runner.RunAsync(report.Photo, ticket, cancellationToken);
        var evidence = Stage("score", () => run.Scorer.Score(run.Output));
        var posterior = Stage("fuse", () => _fusion.Fuse(evidence, _contextPrior.For(context), report.DeclaredCategory, report.Channel));
        var decision = Stage("route", () => _policy.Decide(report, location, context, run.Photo, posterior, run.Model));
        var receivedAt = _timeProvider.GetUtcNow();

        // An embedding model's output is what operators' decisions teach and duplicates compare; a classifier's is not.
        var embedding = run.Model.Kind == ModelKind.Embedding ? PrototypeMemory.Normalized(run.Output) : null;
        Duplicates.DuplicateMatch? duplicate;
        using (FidamiaMetrics.StartStage("duplicates"))
        {
            duplicate = await _duplicates.FindAsync(decision, location, receivedAt, embedding, run.Model.Name, run.Hash, cancellationToken);
        }

        if (duplicate is not null)
        {
            decision = TriagePolicy.AsDuplicate(decision, duplicate);
        }

        // The answer is sent only once the report, its decision and its queue item are committed.
        var started = Stopwatch.GetTimestamp();
        var storing = FidamiaMetrics.StartStage("store");
        var photoSha256 = await _archive.KeepAsync(report.Photo, cancellationToken);
        var record = StoredDecisions.ToRecord(report, decision, fingerprint, photoSha256, receivedAt) with
        {
            Embedding = embedding,
            EmbeddingModel = embedding is null ? null : run.Model.Name,
            PhotoHash = run.Hash,
            DuplicateOf = duplicate?.OriginalId,
        };
        var decided = StoredDecisions.ToRecord(decision, record.ReceivedAt);
        StoredReport? existing;
        try
        {
            existing = await _store.AddAsync(record, decided, cancellationToken);
        }
        finally
        {
            storing?.Dispose();
        }

        _metrics.StageCompleted("store", Stopwatch.GetElapsedTime(started).TotalSeconds);

        // Another instance stored the same id first: its decision is the answer (or the conflict).
        if (existing is not null)
        {
            return await ReplayAsync(report, existing, fingerprint, cancellationToken);
        }

        // A duplicate's photo and declaration are its original's problem again: only a report of its own teaches.
        if (duplicate is null)
        {
            await _declared.LearnAsync(report.ReportId, report.Channel, report.DeclaredCategory, embedding, run.Scorer as PrototypeMemory, cancellationToken);
        }

        // A candidate model in shadow sees a share of what the live one decided; the offer never waits.
        _shadow.Offer(report, context, location, decision.Label?.Code);

        // A duplicate's outcome is its original's: what GetReport will answer, answered now.
        return duplicate is null ? decision : await CurrentAsync(new StoredReport(record, decided), cancellationToken);
    }

    private async Task<TriageDecision> ReplayAsync(TriageReport report, StoredReport stored, byte[] fingerprint, CancellationToken cancellationToken)
    {
        if (!SameReport(stored.Report.Fingerprint, fingerprint, report))
        {
            throw Conflict(report.ReportId);
        }

        _metrics.Replayed();
        Log.Replayed(_logger, report.ReportId);
        return await CurrentAsync(stored, cancellationToken);
    }

    /// <summary>
    /// A stored report's current decision; a duplicate's follows its original's (its label, queue and confidence), and an
    /// original later attached to another report follows that one's: the outcome is the first report's that stands alone.
    /// </summary>
    private async Task<TriageDecision> CurrentAsync(StoredReport stored, CancellationToken cancellationToken)
    {
        const int MaxHops = 8;
        var own = StoredDecisions.ToDecision(stored, _policy.Taxonomy);
        if (stored.Report.DuplicateOf is not { } originalId || await _store.FindAsync(originalId, cancellationToken) is not { } original)
        {
            return own;
        }

        for (var hop = 1; hop < MaxHops && original.Report.DuplicateOf is { } next && await _store.FindAsync(next, cancellationToken) is { } further; hop++)
        {
            original = further;
        }

        var outcome = StoredDecisions.ToDecision(original, _policy.Taxonomy);
        return own with
        {
            Status = TriageStatus.Duplicate,
            DuplicateOf = originalId,
            Label = outcome.Label,
            Confidence = outcome.Confidence,
            Candidates = outcome.Candidates,
            Queue = outcome.Queue,
            Rule = outcome.Rule,
            ReportCount = original.Report.ReportCount,
            Explanation = [.. own.Explanation, $"outcome: that of report {original.Report.ReportId}, {outcome.Status} to {outcome.Queue.Id}"],
        };
    }

    private static ReportConflictException Conflict(string reportId) =>
        new($"report_id '{Printable(reportId)}' was already used for a different report");

    private void Record(TriageDecision decision, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        var outcome = decision.Status switch
        {
            TriageStatus.Routed => "routed",
            TriageStatus.Duplicate => "duplicate",
            _ => "needs_review",
        };
        _metrics.ReportTriaged(outcome, elapsed.TotalSeconds);
        _metrics.Decided(outcome, decision.Label?.Family.Code ?? "(none)", decision.Queue.Id);
        _metrics.Confidence(decision.Confidence);
        Log.Triaged(_logger, decision.ReportId, outcome, decision.Label?.Code ?? "(none)", decision.Confidence, decision.Queue.Id, elapsed.TotalMilliseconds);
    }

    private T Stage<T>(string name, Func<T> stage)
    {
        using var span = FidamiaMetrics.StartStage(name);
        var started = Stopwatch.GetTimestamp();
        try
        {
            return stage();
        }
        finally
        {
            _metrics.StageCompleted(name, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// A digest of everything the caller sent, to tell a retry from a different report under the same id: XXH3-128
    /// (16 bytes). A non-cryptographic hash is enough here: a collision crafted by a caller only gets a different
    /// report under a used id answered as a retry, with a decision GetReport gives any triage caller anyway; the
    /// photo's own SHA-256 (its name in the archive) is computed apart, and a second SHA-256 pass over every photo
    /// here was the largest cost after decode and inference (the README's request path table).
    /// </summary>
    internal static byte[] Fingerprint(TriageReport report)
    {
        var hash = new XxHash128();
        hash.Append(report.Photo.Span);
        hash.Append(FingerprintFields(report));
        return hash.GetCurrentHash();
    }

    /// <summary>The fingerprint reports were stored with before <see cref="Fingerprint"/>: SHA-256 of the same bytes (32 bytes).</summary>
    internal static byte[] LegacyFingerprint(TriageReport report)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(report.Photo.Span);
        hash.AppendData(FingerprintFields(report));
        return hash.GetHashAndReset();
    }

    /// <summary>Whether a stored fingerprint is this report's, whichever of the two digests it was stored with.</summary>
    internal static bool SameReport(byte[] stored, byte[] fingerprint, TriageReport report) =>
        stored.Length == fingerprint.Length
            ? CryptographicOperations.FixedTimeEquals(stored, fingerprint)
            : stored.Length == SHA256.HashSizeInBytes && CryptographicOperations.FixedTimeEquals(stored, LegacyFingerprint(report));

    private static byte[] FingerprintFields(TriageReport report)
    {
        var location = report.Location!.Value;
        return Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"\n{location.Lat:R}\n{location.Lon:R}\n{location.AccuracyM:R}\n{report.DeclaredCategory}\n{report.Channel}\n{report.ReportedAt?.UtcTicks}\n{report.Description}"));
    }

    // Ids of refused reports may be anything; keep logs to a short printable form.
    private static string Printable(string? id) =>
        string.IsNullOrEmpty(id) ? "(none)" : new string(id.Take(128).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
