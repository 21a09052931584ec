using System.ComponentModel.DataAnnotations;

namespace Fidamia.Core.Scheduling;

/// <summary>
/// How photos share the cores between decoding and inference. Defaults suit a small CPU host
/// (measured on 2 cores; see the README); a GPU host wants larger batches and a queue delay.
/// </summary>
public sealed class SchedulerOptions
{
    public const string SectionName = "Scheduler";

    /// <summary>
    /// Requests that may wait (for a decode slot or for the model) beyond those being worked on.
    /// One more is refused at once with RESOURCE_EXHAUSTED and a retry hint, instead of every
    /// caller's latency growing without bound.
    /// </summary>
    [Range(0, 100_000)]
    public int MaxQueuedRequests { get; set; } = 32;

    /// <summary>Photos decoded at once; 0 for one per core.</summary>
    [Range(0, 1024)]
    public int MaxConcurrentDecodes { get; set; }

    /// <summary>Model runs at once, each on its own thread (a run uses <c>Models:IntraOpThreads</c> more).</summary>
    [Range(1, 256)]
    public int MaxConcurrentRuns { get; set; } = 1;

    /// <summary>Most requests put in one run, for models with a dynamic batch dimension (capped by the model's own limit).</summary>
    [Range(1, 4096)]
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>
    /// How long a run waits for more requests to fill its batch, in microseconds. 0 runs at once
    /// with whatever is already queued, which costs no latency and still batches under load.
    /// Waits are as precise as the OS timer (about a millisecond).
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxQueueDelayMicroseconds { get; set; }

    /// <summary>
    /// Bytes of photos held at once, counted from the moment their request starts arriving (the gRPC message's declared
    /// length); a request that would pass it is refused at once with RESOURCE_EXHAUSTED and a retry hint. Sized for a
    /// 1 GB container: each photo is held about twice while it is parsed (the message, then its bytes), beside the model
    /// and the runtime (README, "The scheduler").
    /// </summary>
    [Range(1L << 20, 1L << 40)]
    public long MaxPhotoBytesInFlight { get; set; } = 256L << 20;

    public int ResolvedConcurrentDecodes => MaxConcurrentDecodes > 0 ? MaxConcurrentDecodes : Environment.ProcessorCount;
}
