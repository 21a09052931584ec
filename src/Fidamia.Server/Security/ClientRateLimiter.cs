using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Fidamia.Core.Errors;
using Fidamia.Core.Security;
using Microsoft.Extensions.Options;

namespace Fidamia.Server.Security;

/// <summary>Per-client call rates (section <c>RateLimits</c>): a token bucket per token subject.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Calls a second one client (one token subject; callers without a token share one bucket) may sustain; 0: no limit.</summary>
    [Range(0, 100_000)]
    public int PerClientPerSecond { get; set; } = 200;

    /// <summary>Calls one client may make at once above the sustained rate.</summary>
    [Range(1, 100_000)]
    public int Burst { get; set; } = 400;
}

/// <summary>
/// One token bucket per client, checked after the access check (which says who the client is) and before any work:
/// past it, RESOURCE_EXHAUSTED with the delay after which a call would pass. System.Threading.RateLimiting, as ASP.NET
/// Core's middleware uses, but here so the refusal is a gRPC status with its retry delay through the one error mapping.
/// </summary>
public sealed class ClientRateLimiter : IDisposable
{
    private const string AnonymousKey = "\0anonymous";
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly RateLimitOptions _options;

    public ClientRateLimiter(IOptions<RateLimitOptions> options)
    {
        _options = options.Value;
        if (_options.PerClientPerSecond > 0)
        {
            // A tenth of a second's worth each tenth of a second: a refused client waits at most that for its next call.
            var perTick = Math.Max(1, (int)Math.Ceiling(_options.PerClientPerSecond / 10.0));
            var tick = TimeSpan.FromSeconds(perTick / (double)_options.PerClientPerSecond);
            _limiter = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = _options.Burst,
                TokensPerPeriod = perTick,
                ReplenishmentPeriod = tick,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        }
    }

    /// <summary>Takes one call from <paramref name="caller"/>'s bucket, or throws <see cref="CapacityExceededException"/>.</summary>
    public void Take(Caller caller)
    {
        if (_limiter is null)
        {
            return;
        }

        using var lease = _limiter.AttemptAcquire(caller.Subject ?? AnonymousKey);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : TimeSpan.FromSeconds(1);
            throw new CapacityExceededException(
                $"Too many calls from this client: at most {_options.PerClientPerSecond} a second (bursts of {_options.Burst}); retry after {retryAfter.TotalMilliseconds:0} ms",
                retryAfter);
        }
    }

    public void Dispose() => _limiter?.Dispose();
}
