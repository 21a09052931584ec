using Fidamia.Core.Diagnostics;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scheduling;

/// <summary>
/// The bytes of photos the service holds at once, counted from the moment a request's transport starts buffering it
/// (its declared message length), not from when the pipeline admits it: gRPC buffers a whole message before the
/// handler runs, so counting photos alone let 48 callers with 16 MB photos take the process to 1.9 GB. A request that
/// would pass <see cref="SchedulerOptions.MaxPhotoBytesInFlight"/> is refused before its bytes are read. No I/O.
/// </summary>
public sealed class PhotoBytesBudget
{
    private readonly FidamiaMetrics _metrics;
    private long _inFlight;

    public PhotoBytesBudget(IOptions<SchedulerOptions> options, FidamiaMetrics metrics)
    {
        _metrics = metrics;
        Capacity = options.Value.MaxPhotoBytesInFlight;
        metrics.ObservePhotoBytes(() => InFlight);
    }

    public long Capacity { get; }

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>
    /// Reserves <paramref name="bytes"/>, or returns false when they would pass the budget. One request alone always
    /// fits: the message size limit, not this budget, bounds a single photo.
    /// </summary>
    public bool TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        while (true)
        {
            var current = Interlocked.Read(ref _inFlight);
            if (current > 0 && current + bytes > Capacity)
            {
                _metrics.RequestRejected("bytes");
                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, current + bytes, current) == current)
            {
                return true;
            }
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _inFlight, -bytes);
}
