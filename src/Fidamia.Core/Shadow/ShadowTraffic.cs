using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Threading.Channels;
using Fidamia.Core.Context;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Fusion;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Models;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Shadow;

/// <summary>How a candidate model is shadowed.</summary>
public sealed class ShadowOptions
{
    public const string SectionName = "Shadow";

    /// <summary>Sampled reports waiting for the candidate; beyond, samples are dropped (and counted), never the live request slowed.</summary>
    [Range(1, 1024)]
    public int QueueCapacity { get; set; } = 4;

    /// <summary>Shadowed reports whose labels are kept for the operators' decisions to come.</summary>
    [Range(1, 1_000_000)]
    public int RememberReports { get; set; } = 10_000;
}

/// <summary>A candidate in shadow: its version, its sampling and what it has counted since it started.</summary>
public sealed record ShadowStatus(
    ServedModel Served, double SampleRate, DateTimeOffset Since, long Sampled, long Dropped, long Failed, ShadowCounts Counts);

/// <summary>
/// Runs a candidate model version on a sampled share of live reports, off the request path: the live request offers its
/// report and its decision and goes on; a background worker decodes the photo for the candidate, runs it, fuses its
/// evidence with the same context and declaration and decides as the live model did, then compares the labels
/// (<see cref="ShadowComparison"/>). The queue is bounded: when it is full the sample is dropped and counted. Nothing
/// of the candidate's is stored or answered. Operators' decisions on shadowed reports score both models.
/// </summary>
public sealed class ShadowTraffic : IDisposable
{
    private readonly IPhotoDecoder _decoder;
    private readonly IContextPrior _contextPrior;
    private readonly EvidenceFusion _fusion;
    private readonly TriagePolicy _policy;
    private readonly FidamiaMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger<ShadowTraffic> _logger;
    private readonly ShadowOptions _options;
    private readonly Channel<Sample> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;
    private Candidate? _candidate;

    public ShadowTraffic(
        IPhotoDecoder decoder, IContextPrior contextPrior, EvidenceFusion fusion, TriagePolicy policy, FidamiaMetrics metrics, TimeProvider clock,
        IOptions<ShadowOptions> options, ILogger<ShadowTraffic> logger)
    {
        _decoder = decoder;
        _contextPrior = contextPrior;
        _fusion = fusion;
        _policy = policy;
        _metrics = metrics;
        _clock = clock;
        _logger = logger;
        _options = options.Value;
        _queue = Channel.CreateBounded<Sample>(new BoundedChannelOptions(_options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>The candidate in shadow now, with its counters; null when none is.</summary>
    public ShadowStatus? Status => _candidate?.Status();

    /// <summary>Starts shadowing a version (replacing any other, whose counters go); the caller keeps its reference to it.</summary>
    public void Start(ServedModel served, double sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sampleRate, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleRate, 1);
        Volatile.Write(ref _candidate, new Candidate(served, sampleRate, _clock.GetUtcNow(), new ShadowComparison(_options.RememberReports)));
        Log.ShadowStarted(_logger, served.Descriptor.Name, served.Descriptor.Version, sampleRate);
    }

    /// <summary>Stops shadowing; samples already queued are let go. Returns the version that was in shadow, if any.</summary>
    public ServedModel? Stop()
    {
        var stopped = Interlocked.Exchange(ref _candidate, null);
        if (stopped is not null)
        {
            Log.ShadowStopped(_logger, stopped.Served.Descriptor.Name, stopped.Served.Descriptor.Version);
        }

        return stopped?.Served;
    }

    /// <summary>
    /// A live report and its label, offered once decided; sampled at the candidate's rate. Never waits.
    /// A sampled report's photo is copied: the caller's memory is only lent for the call (<see cref="TriageReport.Photo"/>).
    /// </summary>
    /// <param name="liveLabel">The label the live model gave (null when nothing stood out).</param>
    public void Offer(TriageReport report, LocationContext context, GeoPoint location, string? liveLabel)
    {
        var candidate = Volatile.Read(ref _candidate);
        if (candidate is null || Random.Shared.NextDouble() >= candidate.SampleRate)
        {
            return;
        }

        // A full queue is checked before the copy, not only by the write: a dropped sample costs no copy.
        if (_queue.Reader.Count < _options.QueueCapacity
            && _queue.Writer.TryWrite(new Sample(candidate, report with { Photo = report.Photo.ToArray() }, context, location, liveLabel)))
        {
            Interlocked.Increment(ref candidate.Sampled);
        }
        else
        {
            Interlocked.Increment(ref candidate.Dropped);
            _metrics.ShadowSample("dropped");
        }
    }

    /// <summary>An operator labelled a report: when it was shadowed, both models are scored against the label.</summary>
    public void OnHumanLabel(string reportId, string label) => Volatile.Read(ref _candidate)?.Comparison.Resolve(reportId, label);

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        try
        {
            _worker.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // The worker ends by cancellation; anything else was logged per sample.
        }

        _stopping.Dispose();
    }

    private async Task WorkAsync()
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stopping.Token))
            {
                while (_queue.Reader.TryRead(out var sample))
                {
                    Run(sample);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void Run(Sample sample)
    {
        var candidate = sample.Candidate;
        if (!ReferenceEquals(candidate, Volatile.Read(ref _candidate)) || !candidate.Served.TryAcquire())
        {
            return; // stopped or replaced meanwhile
        }

        var descriptor = candidate.Served.Descriptor;
        var buffer = ArrayPool<float>.Shared.Rent(descriptor.Input.Length);
        try
        {
            var output = new float[descriptor.OutputLength];
            var photo = _decoder.DecodeInto(sample.Report.Photo, descriptor.Input, buffer.AsSpan(0, descriptor.Input.Length), _stopping.Token);

            candidate.Served.Model.Run(buffer.AsMemory(0, descriptor.Input.Length), output, _stopping.Token);
            var evidence = candidate.Served.Scorer.Score(output);
            var posterior = _fusion.Fuse(evidence, _contextPrior.For(sample.Context), sample.Report.DeclaredCategory, sample.Report.Channel);
            var decision = _policy.Decide(sample.Report, sample.Location, sample.Context, photo, posterior, descriptor);
            candidate.Comparison.Record(sample.Report.ReportId, sample.LiveLabel, decision.Label?.Code);
            _metrics.ShadowSample(sample.LiveLabel == decision.Label?.Code ? "agreed" : "disagreed");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            Interlocked.Increment(ref candidate.Failed);
            _metrics.ShadowSample("failed");
            Log.ShadowSampleFailed(_logger, descriptor.Name, descriptor.Version, ex);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
            candidate.Served.Release();
        }
    }

    private sealed record Sample(Candidate Candidate, TriageReport Report, LocationContext Context, GeoPoint Location, string? LiveLabel);

    private sealed class Candidate(ServedModel served, double sampleRate, DateTimeOffset since, ShadowComparison comparison)
    {
        public long Sampled;
        public long Dropped;
        public long Failed;

        public ServedModel Served { get; } = served;

        public double SampleRate { get; } = sampleRate;

        public ShadowComparison Comparison { get; } = comparison;

        public ShadowStatus Status() => new(
            Served, SampleRate, since, Interlocked.Read(ref Sampled), Interlocked.Read(ref Dropped), Interlocked.Read(ref Failed), Comparison.Snapshot());
    }
}
