using System.Diagnostics;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Errors;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scheduling;

/// <summary>
/// Bounds the photos in the service: those being decoded or run, plus at most
/// <see cref="SchedulerOptions.MaxQueuedRequests"/> waiting. Past the bound a request is refused
/// before any work, with a retry hint from the recent time per photo, so an overload shows as
/// quick refusals rather than every caller's latency collapsing.
/// </summary>
public sealed class PhotoAdmission
{
    private readonly FidamiaMetrics _metrics;
    private readonly int _parallelism;
    private int _inFlight;
    private long _meanTicks;

    public PhotoAdmission(IOptions<SchedulerOptions> options, InferenceScheduler scheduler, FidamiaMetrics metrics)
    {
        _metrics = metrics;
        var settings = options.Value;
        _parallelism = Math.Max(1, scheduler.ConcurrentRuns * scheduler.MaxBatchSize);
        Capacity = settings.ResolvedConcurrentDecodes + _parallelism + settings.MaxQueuedRequests;
    }

    /// <summary>Photos admitted at once: decode slots, run slots and the queue.</summary>
    public int Capacity { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Admits one photo, or throws <see cref="CapacityExceededException"/>; dispose the ticket when done.</summary>
    public Ticket Enter()
    {
        if (Interlocked.Increment(ref _inFlight) > Capacity)
        {
            Interlocked.Decrement(ref _inFlight);
            _metrics.RequestRejected();
            throw new CapacityExceededException("the service is at capacity; retry after the hint", RetryAfter());
        }

        return new Ticket(this, Stopwatch.GetTimestamp());
    }

    /// <summary>About the time the current backlog takes to drain, from the recent mean time per photo.</summary>
    public TimeSpan RetryAfter()
    {
        var mean = Volatile.Read(ref _meanTicks);
        var drain = mean > 0 ? Stopwatch.GetElapsedTime(0, mean) * InFlight / _parallelism : TimeSpan.FromSeconds(1);
        return TimeSpan.FromMilliseconds(Math.Clamp(drain.TotalMilliseconds, 100, 30_000));
    }

    private void Leave(long started, bool completed)
    {
        Interlocked.Decrement(ref _inFlight);
        if (!completed)
        {
            return;
        }

        // An exponential mean over about the last 16 photos; lost updates under contention only blur it.
        var elapsed = Stopwatch.GetTimestamp() - started;
        var mean = Volatile.Read(ref _meanTicks);
        Volatile.Write(ref _meanTicks, mean == 0 ? elapsed : mean + ((elapsed - mean) / 16));
    }

    public sealed class Ticket(PhotoAdmission owner, long started) : IDisposable
    {
        private PhotoAdmission? _owner = owner;

        /// <summary>Counts the photo's time in the retry hint; a failed or cancelled one is not representative.</summary>
        public bool Completed { get; set; }

        public void Dispose()
        {
            _owner?.Leave(started, Completed);
            _owner = null;
        }
    }
}
