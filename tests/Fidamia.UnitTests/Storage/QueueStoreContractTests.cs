using Fidamia.Core.Storage;

namespace Fidamia.UnitTests.Storage;

/// <summary>The queues' contract, whichever database keeps them: at-least-once delivery under leases, dead letters, stats.</summary>
public abstract class QueueStoreContractTests
{
    protected const string Queue = "proprete-marseille-provence";

    /// <summary>The store's <see cref="QueueOptions.MaxAttempts"/> for these tests.</summary>
    protected const int MaxAttempts = 3;

    protected abstract IReportStore Reports { get; }

    protected abstract IQueueStore Queues { get; }

    /// <summary>Lets the store's clock pass the given time (a store on the database's clock waits it out).</summary>
    protected abstract Task AdvanceAsync(TimeSpan time);

    /// <summary>The time the service decides at: its clock, which stamps a SQLite queue item (PostgreSQL's own clock stamps its).</summary>
    protected abstract DateTimeOffset Now { get; }

    protected async Task EnqueueAsync(string reportId, string queue = Queue) =>
        Assert.Null(await Reports.AddAsync(
            ReportStoreContractTests.Report(reportId) with { ReceivedAt = Now },
            ReportStoreContractTests.Decision(queue: queue) with { At = Now },
            CancellationToken.None));

    [ContractFact]
    public async Task Lease_OldestFirstAndEachItemOnce_WhileLeased()
    {
        await EnqueueAsync("q-1");
        await EnqueueAsync("q-2");
        await EnqueueAsync("q-other", queue: "revue");

        var first = await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None);
        var second = await Queues.LeaseAsync(Queue, 10, TimeSpan.FromMinutes(5), CancellationToken.None);
        var third = await Queues.LeaseAsync(Queue, 10, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal("q-1", Assert.Single(first).Report.Report.ReportId);
        Assert.Equal("q-2", Assert.Single(second).Report.Report.ReportId);
        Assert.Empty(third);
        Assert.Equal(1, first[0].Attempts);
        Assert.Equal(Queue, first[0].Report.Decision.QueueId);
        Assert.NotEqual(first[0].LeaseId, second[0].LeaseId);
    }

    [ContractFact]
    public async Task Lease_Expired_IsDeliveredAgainUnderANewLeaseAndTheOldOneNoLongerAcks()
    {
        await EnqueueAsync("q-exp");
        var first = Assert.Single(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromSeconds(1), CancellationToken.None));

        await AdvanceAsync(TimeSpan.FromSeconds(2));
        var again = Assert.Single(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None));
        var stale = await Queues.AckAsync([first.LeaseId], "team", CancellationToken.None);
        var current = await Queues.AckAsync([again.LeaseId], "team", CancellationToken.None);

        Assert.Equal("q-exp", again.Report.Report.ReportId);
        Assert.Equal(2, again.Attempts);
        Assert.Equal(LeaseOutcome.UnknownLease, stale[first.LeaseId]);
        Assert.Equal(LeaseOutcome.Done, current[again.LeaseId]);
        Assert.Empty(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None));
    }

    [ContractFact]
    public async Task Ack_Done_IsNeverDeliveredAgain()
    {
        await EnqueueAsync("q-ack");
        var item = Assert.Single(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromSeconds(1), CancellationToken.None));

        var outcome = await Queues.AckAsync([item.LeaseId, "no-such-lease"], "team", CancellationToken.None);
        await AdvanceAsync(TimeSpan.FromSeconds(2));

        Assert.Equal(LeaseOutcome.Done, outcome[item.LeaseId]);
        Assert.Equal(LeaseOutcome.UnknownLease, outcome["no-such-lease"]);
        Assert.Empty(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None));
    }

    [ContractFact]
    public async Task Nack_RetryAfter_DelaysTheNextDelivery()
    {
        await EnqueueAsync("q-nack");
        var item = Assert.Single(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None));

        Assert.Equal(LeaseOutcome.Done, await Queues.NackAsync(item.LeaseId, TimeSpan.FromSeconds(2), "team busy", "team", CancellationToken.None));
        var tooSoon = await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None);
        await AdvanceAsync(TimeSpan.FromSeconds(3));
        var later = await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Empty(tooSoon);
        Assert.Equal("q-nack", Assert.Single(later).Report.Report.ReportId);
        Assert.Equal(LeaseOutcome.UnknownLease, await Queues.NackAsync(item.LeaseId, TimeSpan.Zero, "again", "team", CancellationToken.None));
    }

    [ContractFact]
    public async Task DeadLetters_AfterMaxAttempts_AreCountedAndRequeueBringsThemBack()
    {
        await EnqueueAsync("q-dead");
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var item = Assert.Single(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None));
            Assert.Equal(attempt, item.Attempts);
            await Queues.NackAsync(item.LeaseId, TimeSpan.Zero, "cannot handle", "team", CancellationToken.None);
        }

        var afterLimit = await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None);
        var dead = Assert.Single(await Queues.StatsAsync(CancellationToken.None), s => s.QueueId == Queue);
        var requeued = await Queues.RequeueAsync(Queue, CancellationToken.None);
        var back = Assert.Single(await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None));

        Assert.Empty(afterLimit);
        Assert.Equal((0L, 0L, 1L), (dead.Depth, dead.InFlight, dead.DeadLetters));
        Assert.Equal(1, requeued);
        Assert.Equal(1, back.Attempts);
    }

    [ContractFact]
    public async Task Stats_CountWaitingInFlightAndTheOldest()
    {
        await EnqueueAsync("s-1");
        await EnqueueAsync("s-2");
        await EnqueueAsync("s-3", queue: "revue");
        await Queues.LeaseAsync(Queue, 1, TimeSpan.FromMinutes(5), CancellationToken.None);

        var stats = (await Queues.StatsAsync(CancellationToken.None)).ToDictionary(s => s.QueueId);

        Assert.Equal((1L, 1L, 0L), (stats[Queue].Depth, stats[Queue].InFlight, stats[Queue].DeadLetters));
        Assert.Equal((1L, 0L, 0L), (stats["revue"].Depth, stats["revue"].InFlight, stats["revue"].DeadLetters));
        // On the clock that stamped the items: not off by a time zone or by another machine's clock.
        Assert.InRange(stats[Queue].OldestAge!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(30));
        Assert.True(stats[Queue].OldestAge >= stats["revue"].OldestAge, "s-1 waits longer than s-3");
    }

    [ContractFact]
    public async Task Lease_ManyConsumersAtOnce_NeverShareAnItemAndTogetherGetEveryOne()
    {
        const int items = 300;
        for (var i = 0; i < items; i++)
        {
            await EnqueueAsync($"c-{i:D4}");
        }

        var received = new System.Collections.Concurrent.ConcurrentBag<string>();
        var consumers = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var batch = await Queues.LeaseAsync(Queue, 7, TimeSpan.FromMinutes(5), CancellationToken.None);
                if (batch.Count == 0)
                {
                    return;
                }

                foreach (var item in batch)
                {
                    received.Add(item.Report.Report.ReportId);
                }
            }
        })).ToArray();
        await Task.WhenAll(consumers);

        Assert.Equal(items, received.Count);
        Assert.Equal(items, received.Distinct(StringComparer.Ordinal).Count());
    }
}
