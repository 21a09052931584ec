using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Fidamia.Core.Diagnostics;

/// <summary>Every instrument of the service, in one place. Tags are low-cardinality by design: never a report id or a place.</summary>
public sealed class FidamiaMetrics
{
    public const string MeterName = "Fidamia";
    public const string ActivitySourceName = "Fidamia";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    /// <summary>
    /// A stage's span under the current one, or under <paramref name="parent"/> for work done on another thread (the
    /// scheduler's), from <paramref name="startTime"/> when it began before now (a wait). Null when nobody listens.
    /// </summary>
    public static Activity? StartStage(string name, ActivityContext parent = default, DateTimeOffset startTime = default) =>
        ActivitySource.StartActivity(name, ActivityKind.Internal, parent, startTime: startTime);

    private readonly Counter<long> _reports;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _stageDuration;
    private readonly Histogram<double> _confidence;
    private readonly Counter<long> _idempotentReplays;
    private readonly UpDownCounter<long> _queued;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _rejected;
    private readonly Histogram<int> _batchSize;

    private readonly Counter<long> _shadowSamples;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _rpcRequests;
    private readonly Counter<long> _modelLoads;
    private readonly Counter<long> _modelSwaps;
    private IReadOnlyList<Storage.QueueStats> _queues = [];
    private string _reviewQueue = "";
    private Func<long> _photoBytes = () => 0;

    public FidamiaMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _reports = meter.CreateCounter<long>("fidamia.triage.reports", "{report}", "Reports triaged, by outcome.");
        _duration = meter.CreateHistogram<double>("fidamia.triage.duration", "s", "Time to triage one report.");
        _stageDuration = meter.CreateHistogram<double>("fidamia.triage.stage.duration", "s", "Time spent in each pipeline stage.");
        _confidence = meter.CreateHistogram<double>("fidamia.triage.confidence", "1", "Confidence of the chosen label.");
        _idempotentReplays = meter.CreateCounter<long>("fidamia.triage.replays", "{report}", "Repeated report ids answered from earlier decisions.");
        _queued = meter.CreateUpDownCounter<long>("fidamia.scheduler.queue.length", "{request}", "Requests waiting for the model.");
        _dropped = meter.CreateCounter<long>("fidamia.scheduler.dropped", "{request}", "Queued requests dropped before inference because their caller had gone.");
        _rejected = meter.CreateCounter<long>("fidamia.scheduler.rejected", "{request}", "Requests refused at once because the service was at capacity, by reason (photos, bytes).");
        meter.CreateObservableGauge("fidamia.scheduler.photo_bytes", () => _photoBytes(), "By", "Bytes of photos held, from the moment their request started arriving.");
        _batchSize = meter.CreateHistogram<int>(
            "fidamia.scheduler.batch.size",
            "{request}",
            "Requests per model run.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
        _decisions = meter.CreateCounter<long>(
            "fidamia.triage.decisions", "{report}", "Decisions made at triage, by status, label family and queue.");
        _rpcRequests = meter.CreateCounter<long>("fidamia.rpc.requests", "{request}", "gRPC calls answered, by method and status code.");
        _modelLoads = meter.CreateCounter<long>("fidamia.model.loads", "{load}", "Model versions loaded at run time, by outcome (loaded, failed).");
        _modelSwaps = meter.CreateCounter<long>("fidamia.model.swaps", "{swap}", "Live model changes, by kind (activate, rollback).");
        meter.CreateObservableGauge("fidamia.queue.depth", () => Queues(q => q.Depth), "{item}", "Items waiting in each queue (the review queue included).");
        meter.CreateObservableGauge(
            "fidamia.queue.oldest_age", () => Queues(q => q.OldestAge?.TotalSeconds ?? 0.0), "s", "How long the oldest waiting item of each queue has waited.");
        meter.CreateObservableGauge("fidamia.review.backlog", () => Review(q => q.Depth), "{report}", "Reports waiting for an operator.");
        meter.CreateObservableGauge(
            "fidamia.review.oldest_age", () => Review(q => q.OldestAge?.TotalSeconds ?? 0.0), "s", "How long the oldest report waiting for an operator has waited.");
        _shadowSamples = meter.CreateCounter<long>(
            "fidamia.shadow.samples", "{report}", "Reports a candidate model saw in shadow, by outcome: agreed or disagreed with the live model, dropped (queue full), failed.");
    }

    public void Decided(string status, string family, string queue) => _decisions.Add(
        1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("family", family), new KeyValuePair<string, object?>("queue", queue));

    /// <param name="method">The gRPC method's full name.</param>
    /// <param name="code">Its status code's name (OK, INVALID_ARGUMENT...).</param>
    public void RpcAnswered(string method, string code) =>
        _rpcRequests.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("code", code));

    public void ModelLoaded(bool loaded) => _modelLoads.Add(1, new KeyValuePair<string, object?>("outcome", loaded ? "loaded" : "failed"));

    /// <param name="kind">activate or rollback.</param>
    public void ModelSwapped(string kind) => _modelSwaps.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>The queues as last read (the gauges report them; reading the store on every scrape would cost a query each).</summary>
    public void QueuesRead(IReadOnlyList<Storage.QueueStats> queues, string reviewQueue) => (_queues, _reviewQueue) = (queues, reviewQueue);

    private IEnumerable<Measurement<T>> Queues<T>(Func<Storage.QueueStats, T> value)
        where T : struct =>
        _queues.Select(q => new Measurement<T>(value(q), new KeyValuePair<string, object?>("queue", q.QueueId)));

    private IEnumerable<Measurement<T>> Review<T>(Func<Storage.QueueStats, T> value)
        where T : struct =>
        _queues.Where(q => q.QueueId == _reviewQueue).Select(q => new Measurement<T>(value(q)));

    /// <param name="outcome">agreed, disagreed, dropped or failed.</param>
    public void ShadowSample(string outcome) => _shadowSamples.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <param name="outcome">routed, needs_review, invalid, conflict, at_capacity, cancelled or error.</param>
    public void ReportTriaged(string outcome, double seconds)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _reports.Add(1, tag);
        _duration.Record(seconds, tag);
    }

    public void StageCompleted(string stage, double seconds) =>
        _stageDuration.Record(seconds, new KeyValuePair<string, object?>("stage", stage));

    public void Confidence(double confidence) => _confidence.Record(confidence);

    public void Replayed() => _idempotentReplays.Add(1);

    public void QueueChanged(int delta) => _queued.Add(delta);

    /// <param name="reason">cancelled (the caller's call was cancelled or its deadline passed).</param>
    public void RequestDropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A request refused at once: <c>photos</c> (admission by count) or <c>bytes</c> (the photo bytes budget).</summary>
    public void RequestRejected(string reason = "photos") => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Reports the photo bytes held at once (<see cref="Scheduling.PhotoBytesBudget"/>).</summary>
    public void ObservePhotoBytes(Func<long> inFlight) => _photoBytes = inFlight;

    public void BatchRan(int size) => _batchSize.Record(size);
}
