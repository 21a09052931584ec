namespace Fidamia.Core.Storage;

/// <summary>One queue item delivered to a consumer, under a lease.</summary>
/// <param name="LeaseId">This delivery's id: what <see cref="IQueueStore.AckAsync"/> and <see cref="IQueueStore.NackAsync"/> name.</param>
/// <param name="Attempts">How many times the item has been delivered, this delivery included.</param>
/// <param name="LeaseExpiresAt">When the item becomes deliverable again unless acknowledged.</param>
public sealed record LeasedItem(string LeaseId, string QueueId, int Attempts, DateTimeOffset EnqueuedAt, DateTimeOffset LeaseExpiresAt, StoredReport Report);

/// <summary>A queue's state at a moment.</summary>
/// <param name="Depth">Items waiting for delivery (ready, or whose lease expired).</param>
/// <param name="InFlight">Items leased and not yet acknowledged, whose lease has not expired.</param>
/// <param name="DeadLetters">Items delivered <see cref="QueueOptions.MaxAttempts"/> times without an acknowledgement.</param>
/// <param name="OldestAge">
/// How long the oldest waiting item has waited, on the clock that stamped it (the database's, for a shared one); null
/// when none waits.
/// </param>
public sealed record QueueStats(string QueueId, long Depth, long InFlight, long DeadLetters, TimeSpan? OldestAge);

/// <summary>What to do with an acknowledgement or a refusal.</summary>
public enum LeaseOutcome
{
    Done,

    /// <summary>No such lease: never issued, already acknowledged, or expired and delivered again.</summary>
    UnknownLease,
}

/// <summary>
/// The service queues, at-least-once: an item is delivered under a lease; acknowledged, it is done; refused or left to
/// expire, it is delivered again, and after <see cref="QueueOptions.MaxAttempts"/> deliveries it moves to the queue's dead
/// letters. Two consumers never hold the same item at once, also across processes sharing one database.
/// </summary>
public interface IQueueStore
{
    /// <summary>Leases up to <paramref name="maxItems"/> deliverable items of the queue, oldest first.</summary>
    Task<IReadOnlyList<LeasedItem>> LeaseAsync(string queueId, int maxItems, TimeSpan visibility, CancellationToken cancellationToken);

    /// <summary>Marks the leased items done; returns, per lease id, whether it was still held.</summary>
    Task<IReadOnlyDictionary<string, LeaseOutcome>> AckAsync(IReadOnlyCollection<string> leaseIds, string actor, CancellationToken cancellationToken);

    /// <summary>Gives a leased item back, deliverable again after <paramref name="retryAfter"/> (or dead past the limit).</summary>
    Task<LeaseOutcome> NackAsync(string leaseId, TimeSpan retryAfter, string reason, string actor, CancellationToken cancellationToken);

    /// <summary>Puts the queue's dead letters back, deliverable now with their attempts reset; returns how many.</summary>
    Task<int> RequeueAsync(string queueId, CancellationToken cancellationToken);

    /// <summary>Every queue that has or had items.</summary>
    Task<IReadOnlyList<QueueStats>> StatsAsync(CancellationToken cancellationToken);
}

/// <summary>Queue behaviour shared by every store.</summary>
public sealed class QueueOptions
{
    public const string SectionName = "Queues";

    /// <summary>Deliveries of an item before it moves to the dead letters.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The longest lease a consumer may ask for.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxVisibilityTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The most items one lease call returns.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
    public int MaxLeaseItems { get; set; } = 100;
}
