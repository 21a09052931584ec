using Fidamia.Core.Errors;
using Fidamia.Core.Routing;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Storage;

/// <summary>
/// What the service teams do with their queues, checked before the store is asked: the queue must be one routing sends
/// reports to (or the operators' review queue), and every bound is the configured one.
/// </summary>
public sealed class QueueOperations(IQueueStore store, IQueueRouter router, IOptions<QueueOptions> options, IOptions<TriageOptions> triage)
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromDays(1);
    private readonly QueueOptions _options = options.Value;
    private readonly string _reviewQueue = triage.Value.ReviewQueueId;

    public QueueOptions Options => _options;

    public Task<IReadOnlyList<LeasedItem>> LeaseAsync(string queueId, int maxItems, TimeSpan visibility, CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        if (maxItems < 1 || maxItems > _options.MaxLeaseItems)
        {
            violations.Add(new("max_items", $"must be between 1 and {_options.MaxLeaseItems}"));
        }

        if (visibility < TimeSpan.FromSeconds(1) || visibility > _options.MaxVisibilityTimeout)
        {
            violations.Add(new("visibility_timeout", $"must be between 1 s and {_options.MaxVisibilityTimeout.TotalSeconds:0} s"));
        }

        CheckQueue(queueId, violations);
        return store.LeaseAsync(queueId, maxItems, visibility, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, LeaseOutcome>> AckAsync(IReadOnlyCollection<string> leaseIds, string actor, CancellationToken cancellationToken)
    {
        if (leaseIds.Count == 0 || leaseIds.Count > _options.MaxLeaseItems || leaseIds.Any(string.IsNullOrEmpty))
        {
            throw new InvalidRequestException("lease_ids", $"must hold 1 to {_options.MaxLeaseItems} lease ids, none empty");
        }

        return store.AckAsync(leaseIds, actor, cancellationToken);
    }

    public async Task NackAsync(string leaseId, TimeSpan retryAfter, string? reason, string actor, CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        if (string.IsNullOrEmpty(leaseId))
        {
            violations.Add(new("lease_id", "is required"));
        }

        if (retryAfter < TimeSpan.Zero || retryAfter > MaxRetryAfter)
        {
            violations.Add(new("retry_after", "must be between 0 and 1 day"));
        }

        if (reason is { Length: > 1000 })
        {
            violations.Add(new("reason", "must be at most 1000 characters"));
        }

        if (violations.Count > 0)
        {
            throw new InvalidRequestException(violations);
        }

        if (await store.NackAsync(leaseId, retryAfter, reason ?? "", actor, cancellationToken) == LeaseOutcome.UnknownLease)
        {
            throw new NotFoundException($"no lease '{leaseId}' is held (never issued, acknowledged, or expired and delivered again)");
        }
    }

    public Task<int> RequeueAsync(string queueId, CancellationToken cancellationToken)
    {
        CheckQueue(queueId, []);
        return store.RequeueAsync(queueId, cancellationToken);
    }

    public Task<IReadOnlyList<QueueStats>> StatsAsync(CancellationToken cancellationToken) => store.StatsAsync(cancellationToken);

    /// <summary>Field violations first, all together; a well-formed queue id that routing does not know is NOT_FOUND.</summary>
    private void CheckQueue(string queueId, List<FieldViolation> violations)
    {
        if (string.IsNullOrEmpty(queueId))
        {
            violations.Add(new("queue", "is required"));
        }

        if (violations.Count > 0)
        {
            throw new InvalidRequestException(violations);
        }

        if (queueId != _reviewQueue && router.FindQueue(queueId) is null)
        {
            throw new NotFoundException($"no queue '{queueId}': the routing rules send no report there");
        }
    }
}
