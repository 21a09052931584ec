using Fidamia.Core;
using Fidamia.Core.Fusion;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Review;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public sealed class DeclarationReliabilityTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static DeclarationReliability Learnt(params HumanOutcome[] outcomes)
    {
        var reliability = new DeclarationReliability(Options.Create(new TriageOptions { DeclaredCategoryReliability = 0.7, ReliabilityPriorWeight = 20 }));
        reliability.Learn(outcomes);
        return reliability;
    }

    private static HumanOutcome Outcome(ReportChannel channel, string? declared, string? human, TriageStatus status = TriageStatus.Routed,
        string model = "graffiti", double confidence = 0.7) =>
        new($"r-{Guid.NewGuid():N}", channel, declared, model, confidence, "m", "1", human, status, "alice", At, new string('a', 64), "jpeg", null);

    [Fact]
    public void For_NoDecisions_IsTheConfiguredPrior()
    {
        Assert.Equal(new Reliability(0.7, 0), Learnt().For(ReportChannel.App, "graffiti"));
    }

    [Fact]
    public void For_AHandfulOfDecisions_MovesItLittle_AndManyMoveItFar()
    {
        var few = Learnt([.. Enumerable.Range(0, 3).Select(_ => Outcome(ReportChannel.Agent, "graffiti", "graffiti"))]);
        var many = Learnt([.. Enumerable.Range(0, 60).Select(_ => Outcome(ReportChannel.Agent, "graffiti", "graffiti"))]);

        // Channel: (0.7 x 20 + 3) / 23; label: the channel's as prior, 3 more right.
        var channel = (0.7 * 20 + 3) / 23;
        Assert.Equal((channel * 20) + 3, few.For(ReportChannel.Agent, "graffiti").Rho * 23, 9);
        Assert.InRange(few.For(ReportChannel.Agent, "graffiti").Rho, 0.7, 0.85);
        Assert.True(many.For(ReportChannel.Agent, "graffiti").Rho > 0.95);
        Assert.Equal(60, many.For(ReportChannel.Agent, "graffiti").Decisions);
    }

    [Fact]
    public void For_OtherChannelsAndLabels_KeepTheirOwn_AndAnUnseenLabelTakesItsChannels()
    {
        var reliability = Learnt(
            [.. Enumerable.Range(0, 40).Select(_ => Outcome(ReportChannel.Agent, "graffiti", "graffiti")),
             .. Enumerable.Range(0, 40).Select(_ => Outcome(ReportChannel.Web, "graffiti", "salissure"))]);

        Assert.True(reliability.For(ReportChannel.Agent, "graffiti").Rho > 0.9);
        Assert.True(reliability.For(ReportChannel.Web, "graffiti").Rho < 0.3);
        Assert.Equal(((0.7 * 20) + 40) / 60, reliability.For(ReportChannel.Agent, "nid_de_poule").Rho, 9);
        Assert.Equal(0.7, reliability.For(ReportChannel.Phone, "graffiti").Rho);
    }

    [Fact]
    public void Learn_RejectionIsWrong_DuplicateAndNoDeclarationSayNothing()
    {
        var reliability = Learnt(
            [.. Enumerable.Range(0, 10).Select(_ => Outcome(ReportChannel.App, "graffiti", null, TriageStatus.Rejected)),
             .. Enumerable.Range(0, 10).Select(_ => Outcome(ReportChannel.App, "graffiti", "graffiti", TriageStatus.Duplicate)),
             .. Enumerable.Range(0, 10).Select(_ => Outcome(ReportChannel.App, null, "graffiti"))]);

        Assert.Equal(10, reliability.For(ReportChannel.App, "graffiti").Decisions);
        Assert.True(reliability.For(ReportChannel.App, "graffiti").Rho < 0.5);
    }

    [Fact]
    public void Agreement_PerLabelAndBand_CountsWhatOperatorsConfirmed()
    {
        var agreement = ReviewStatistics.Agreement(
        [
            Outcome(ReportChannel.App, null, "graffiti", confidence: 0.72),
            Outcome(ReportChannel.App, null, "graffiti", confidence: 0.79),
            Outcome(ReportChannel.App, null, "salissure", confidence: 0.75),
            Outcome(ReportChannel.App, null, null, TriageStatus.Rejected, confidence: 0.31),
            Outcome(ReportChannel.App, null, "graffiti", TriageStatus.Duplicate, confidence: 0.9),
            Outcome(ReportChannel.App, null, "graffiti", model: "trottoir", confidence: 1.0),
        ]);

        var graffiti = agreement.Single(l => l.Label == "graffiti");
        Assert.Equal([(0.3, 1, 0), (0.7, 3, 2)], graffiti.Bands.Select(b => (Math.Round(b.From, 1), b.Decided, b.Agreed)));
        Assert.Equal(2.0 / 3, graffiti.Bands[1].Rate!.Value, 9);
        Assert.Equal((0.9, 1, 0), agreement.Single(l => l.Label == "trottoir").Bands.Select(b => (Math.Round(b.From, 1), b.Decided, b.Agreed)).Single());
    }
}
