using Fidamia.Core.Pipeline;
using Fidamia.Core.Scoring;
using Fidamia.Core.Storage;

namespace Fidamia.UnitTests.Storage;

/// <summary>What review, claims, human decisions, the duplicate search and the shared memory do alike on every database.</summary>
public abstract class ReviewStoreContractTests
{
    protected const string Review = "revue";

    protected abstract IReportStore Reports { get; }

    protected abstract IQueueStore Queues { get; }

    protected abstract IReviewStore Reviews { get; }

    protected abstract IPrototypeStore Prototypes { get; }

    /// <summary>The service's clock (SQLite's stamps); PostgreSQL keeps claims by its own.</summary>
    protected abstract DateTimeOffset Now { get; }

    protected abstract Task AdvanceAsync(TimeSpan time);

    protected async Task AddPendingAsync(string id, string label = "graffiti", double lat = 43.2965, double lon = 5.3698, string? duplicateOf = null)
    {
        var decision = ReportStoreContractTests.Decision(label, queue: Review) with { Status = duplicateOf is null ? TriageStatus.NeedsReview : TriageStatus.Duplicate, At = Now };
        var report = ReportStoreContractTests.Report(id) with
        {
            ReceivedAt = Now, Lat = lat, Lon = lon, Embedding = [0.6f, 0.8f], EmbeddingModel = "m", PhotoHash = 0xF0F0UL, DuplicateOf = duplicateOf,
        };
        Assert.Null(await Reports.AddAsync(report, decision, CancellationToken.None));
    }

    protected static DecisionRecord Resolved(string label, string queue) =>
        ReportStoreContractTests.Decision(label, queue) with { Source = DecisionSource.Human, Actor = "alice", Status = TriageStatus.Routed, Confidence = 1 };

    [ContractFact]
    public async Task ListPending_OldestFirstPagedFilteredAndCounted()
    {
        await AddPendingAsync("p-1", "graffiti");
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        await AddPendingAsync("p-2", "nid_de_poule");
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        await AddPendingAsync("p-3", "graffiti");
        Assert.Null(await Reports.AddAsync(ReportStoreContractTests.Report("routed") with { ReceivedAt = Now }, ReportStoreContractTests.Decision() with { At = Now }, CancellationToken.None));
        var all = new PendingFilter(null, null, null, null);

        var first = await Reviews.ListPendingAsync(all, 2, null, Now, CancellationToken.None);
        var second = await Reviews.ListPendingAsync(all, 2, first.Next, Now, CancellationToken.None);
        var graffiti = await Reviews.ListPendingAsync(new PendingFilter("Marseille Provence", "13055", ["graffiti"], null), 10, null, Now, CancellationToken.None);
        var elsewhere = await Reviews.ListPendingAsync(new PendingFilter("Pays d'Aix", null, null, null), 10, null, Now, CancellationToken.None);

        Assert.Equal(["p-1", "p-2"], first.Reports.Select(r => r.Report.Report.ReportId));
        Assert.Equal(["p-3"], second.Reports.Select(r => r.Report.Report.ReportId));
        Assert.Null(second.Next);
        Assert.Equal(3, first.Total);
        Assert.Equal(2, first.Labels["graffiti"]);
        Assert.Equal(1, first.Labels["nid_de_poule"]);
        Assert.Equal(("Marseille", 3L), first.Communes["13055"]);
        Assert.Equal(3, first.Territories["Marseille Provence"]);
        Assert.Equal(["p-1", "p-3"], graffiti.Reports.Select(r => r.Report.Report.ReportId));
        Assert.Equal(0, elsewhere.Total);
    }

    [ContractFact]
    public async Task Claim_SecondOperatorIsToldWhoHoldsIt_UntilItExpires()
    {
        await AddPendingAsync("c-1");

        var alice = await Reviews.ClaimAsync("c-1", "alice", Now, TimeSpan.FromSeconds(2), CancellationToken.None);
        var bob = await Reviews.ClaimAsync("c-1", "bob", Now, TimeSpan.FromSeconds(2), CancellationToken.None);
        var listed = await Reviews.ListPendingAsync(new PendingFilter(null, null, null, null), 10, null, Now, CancellationToken.None);
        await AdvanceAsync(TimeSpan.FromSeconds(3));
        var bobLater = await Reviews.ClaimAsync("c-1", "bob", Now, TimeSpan.FromSeconds(2), CancellationToken.None);
        var unknown = await Reviews.ClaimAsync("never", "bob", Now, TimeSpan.FromSeconds(2), CancellationToken.None);

        Assert.Equal(ClaimOutcome.Claimed, alice.Outcome);
        Assert.Equal((ClaimOutcome.HeldByOther, "alice"), (bob.Outcome, bob.Claim!.Operator));
        Assert.Equal("alice", Assert.Single(listed.Reports).Claim!.Operator);
        Assert.Equal((ClaimOutcome.Claimed, "bob"), (bobLater.Outcome, bobLater.Claim!.Operator));
        Assert.Equal(ClaimOutcome.NotFound, unknown.Outcome);
    }

    [ContractFact]
    public async Task Apply_Resolve_AppendsTheDecisionClosesTheReviewItemEnqueuesAndLearnsInOneGo()
    {
        await AddPendingAsync("r-1");
        await Reviews.ClaimAsync("r-1", "alice", Now, TimeSpan.FromMinutes(5), CancellationToken.None);
        var learn = new StoredPrototype("m", new PrototypeExample("report:r-1", "salissure", [0.6f, 0.8f]), "operator", 1, "r-1");

        var outcome = await Reviews.ApplyAsync(
            new HumanDecision("r-1", "alice", Resolved("salissure", "proprete-marseille-provence"), null, learn, "resolved", "tag effacé"), Now, CancellationToken.None);
        var stored = await Reports.FindAsync("r-1", CancellationToken.None);
        var review = await Queues.LeaseAsync(Review, 10, TimeSpan.FromMinutes(1), CancellationToken.None);
        var team = await Queues.LeaseAsync("proprete-marseille-provence", 10, TimeSpan.FromMinutes(1), CancellationToken.None);
        var again = await Reviews.ApplyAsync(
            new HumanDecision("r-1", "alice", Resolved("graffiti", "proprete-marseille-provence"), null, null, "resolved", null), Now, CancellationToken.None);
        var (learnt, _) = await Prototypes.ReadAsync("m", null, CancellationToken.None);

        Assert.Equal(HumanDecisionOutcome.Applied, outcome);
        Assert.Equal((DecisionSource.Human, "alice", "salissure"), (stored!.Decision.Source, stored.Decision.Actor, stored.Decision.LabelCode));
        Assert.Empty(review);
        Assert.Equal("salissure", Assert.Single(team).Report.Decision.LabelCode);
        Assert.Equal(HumanDecisionOutcome.NotReviewable, again);
        Assert.Equal(("report:r-1", "salissure", "operator"), (Assert.Single(learnt).Example.Id, learnt[0].Example.Label, learnt[0].Source));
        Assert.Empty(await Reviews.ListPendingAsync(new PendingFilter(null, null, null, null), 10, null, Now, CancellationToken.None) is var p ? p.Reports : []);
    }

    [ContractFact]
    public async Task Apply_WithoutTheCallersClaim_ChangesNothing()
    {
        await AddPendingAsync("n-1");
        await Reviews.ClaimAsync("n-1", "bob", Now, TimeSpan.FromMinutes(5), CancellationToken.None);

        var outcome = await Reviews.ApplyAsync(
            new HumanDecision("n-1", "alice", Resolved("graffiti", "proprete-marseille-provence"), null, null, "resolved", null), Now, CancellationToken.None);

        Assert.Equal(HumanDecisionOutcome.NotClaimed, outcome);
        Assert.Equal(TriageStatus.NeedsReview, (await Reports.FindAsync("n-1", CancellationToken.None))!.Decision.Status);
        Assert.Equal("bob", (await Reviews.FindClaimAsync("n-1", Now, CancellationToken.None))!.Operator);
    }

    [ContractFact]
    public async Task Duplicates_CountOnTheOriginal_AndAnUndoneOneStandsOnItsOwn()
    {
        await AddPendingAsync("o-1");
        await AddPendingAsync("d-1", duplicateOf: "o-1");
        var counted = (await Reports.FindAsync("o-1", CancellationToken.None))!.Report.ReportCount;
        await Reviews.ClaimAsync("d-1", "alice", Now, TimeSpan.FromMinutes(5), CancellationToken.None);

        await Reviews.ApplyAsync(
            new HumanDecision("d-1", "alice", Resolved("graffiti", "proprete-marseille-provence"), null, null, "resolved", null), Now, CancellationToken.None);
        var original = await Reports.FindAsync("o-1", CancellationToken.None);
        var undone = await Reports.FindAsync("d-1", CancellationToken.None);

        Assert.Equal(2, counted);
        Assert.Equal(1, original!.Report.ReportCount);
        Assert.Null(undone!.Report.DuplicateOf);
        Assert.Equal("d-1", Assert.Single(await Queues.LeaseAsync("proprete-marseille-provence", 10, TimeSpan.FromMinutes(1), CancellationToken.None)).Report.Report.ReportId);
    }

    [ContractFact]
    public async Task FindNearby_OnlyWithinTheBoxAndTheWindow_WithEmbeddingAndHash()
    {
        await AddPendingAsync("near", lat: 43.29659, lon: 5.36989);
        await AddPendingAsync("far", lat: 43.3000, lon: 5.3698);
        await AdvanceAsync(TimeSpan.FromSeconds(2));
        var since = Now - TimeSpan.FromSeconds(1);
        await AddPendingAsync("recent-near", lat: 43.2965, lon: 5.3698);

        var all = await Reviews.FindNearbyAsync(43.2965, 5.3698, 50, Now - TimeSpan.FromHours(1), "recent-near", 10, CancellationToken.None);
        var recent = await Reviews.FindNearbyAsync(43.2965, 5.3698, 50, since, null, 10, CancellationToken.None);

        var near = Assert.Single(all);
        Assert.Equal("near", near.ReportId);
        Assert.Equal(new[] { 0.6f, 0.8f }, near.Embedding);
        Assert.Equal(0xF0F0UL, near.PhotoHash);
        Assert.Equal(["recent-near"], recent.Select(r => r.ReportId));
    }

    [ContractFact]
    public async Task Prototypes_ReadSinceACursor_AndAddEachIdOnce()
    {
        var first = new StoredPrototype("m", new PrototypeExample("a", "graffiti", [1f, 0f]), "seed", 1, null);
        var second = new StoredPrototype("m", new PrototypeExample("b", "graffiti", [0f, 1f]) { Weight = 0.2 }, "declared", 0.2, "r-9");

        var added = await Prototypes.AddAsync([first, first with { Source = "operator" }], CancellationToken.None);
        var (all, cursor) = await Prototypes.ReadAsync("m", null, CancellationToken.None);
        await Prototypes.AddAsync([second], CancellationToken.None);
        var (since, _) = await Prototypes.ReadAsync("m", cursor, CancellationToken.None);
        var (other, _) = await Prototypes.ReadAsync("another-model", null, CancellationToken.None);

        Assert.Equal(1, added);
        Assert.Equal("a", Assert.Single(all).Example.Id);
        Assert.Contains(since, e => e.Example.Id == "b" && e.Weight == 0.2 && e.Source == "declared" && e.ReportId == "r-9");
        Assert.Empty(other);
    }

    [ContractFact]
    public async Task ReadHumanOutcomes_GivesThePersonsDecisionBesideTheModelsFirst()
    {
        await AddPendingAsync("h-1", "graffiti");
        await AddPendingAsync("h-2", "graffiti");
        await Reviews.ClaimAsync("h-1", "alice", Now, TimeSpan.FromMinutes(5), CancellationToken.None);
        await Reviews.ApplyAsync(
            new HumanDecision("h-1", "alice", Resolved("salissure", "proprete-marseille-provence"), null, null, "resolved", null), Now, CancellationToken.None);

        var outcome = Assert.Single(await Reviews.ReadHumanOutcomesAsync(Now - TimeSpan.FromDays(1), CancellationToken.None));
        var later = await Reviews.ReadHumanOutcomesAsync(Now + TimeSpan.FromDays(1), CancellationToken.None);

        Assert.Equal(("h-1", "graffiti", 0.912345, "salissure", TriageStatus.Routed, "alice"),
            (outcome.ReportId, outcome.ModelLabel, outcome.ModelConfidence, outcome.HumanLabel, outcome.HumanStatus, outcome.Operator));
        Assert.Equal(("graffiti", Fidamia.Core.Reports.ReportChannel.Phone, "resnet18", "1"), (outcome.DeclaredCategory, outcome.Channel, outcome.ModelName, outcome.ModelVersion));
        Assert.Empty(later);
    }
}
