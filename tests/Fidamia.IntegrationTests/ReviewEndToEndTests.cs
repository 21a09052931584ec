using Fidamia.Core.Security;
using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Core;
using Google.Protobuf.WellKnownTypes;

namespace Fidamia.IntegrationTests;

/// <summary>Operators over a real gRPC channel: claims between two of them, decisions and their statuses, what follows from them.</summary>
public sealed class ReviewEndToEndTests : IAsyncLifetime
{
    private ServerProcess _server = null!;

    private ReviewService.ReviewServiceClient Review => new(_server.Channel);

    public async Task InitializeAsync()
    {
        if (SharedData.IsAvailable)
        {
            // A claim of 3 s, so that a test sees one expire; no duplicates, so that each report stands alone.
            _server = await ServerProcess.StartAsync(
                $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", "--Review:ClaimMinutes=0.05", "--Duplicates:Enabled=false");
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private static Metadata As(string name) => TestTokens.As(name, Roles.Review);

    private async Task<string> PendingAsync(string declared = "graffiti")
    {
        var response = await _server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("graf1.png"), declared: declared));
        Assert.Equal(TriageStatus.NeedsReview, response.Status);
        return response.ReportId;
    }

    private static async Task<RpcException> FailsAsync<T>(AsyncUnaryCall<T> call) => await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

    [SharedDataFact]
    public async Task Claim_TwoOperators_OneWinsTheOtherIsToldWho_AndAnExpiredClaimReturnsTheReportToTheList()
    {
        var id = await PendingAsync();

        var alice = await Review.ClaimAsync(new ClaimRequest { ReportId = id }, As("alice"));
        var bob = await FailsAsync(Review.ClaimAsync(new ClaimRequest { ReportId = id }, As("bob")));
        var listed = (await Review.ListPendingAsync(new ListPendingRequest())).Reports.Single(r => r.Report.ReportId == id);
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var relisted = (await Review.ListPendingAsync(new ListPendingRequest())).Reports.Single(r => r.Report.ReportId == id);
        var bobLater = await Review.ClaimAsync(new ClaimRequest { ReportId = id }, As("bob"));

        Assert.Equal("alice", alice.Claim.Operator);
        Assert.Equal(StatusCode.FailedPrecondition, bob.StatusCode);
        Assert.Contains("claimed by alice", bob.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("alice", listed.Claim.Operator);
        Assert.Null(relisted.Claim);
        Assert.Equal("bob", bobLater.Claim.Operator);
    }

    [SharedDataFact]
    public async Task Resolve_RoutesTheHumanLabelToItsQueue_AndEveryLaterReadGivesIt()
    {
        var id = await PendingAsync(declared: "graffiti");
        await Review.ClaimAsync(new ClaimRequest { ReportId = id }, As("alice"));

        var resolved = await Review.ResolveAsync(new ResolveRequest { ReportId = id, LabelCode = "salissure", Note = "pas un tag" }, As("alice"));
        var followed = await _server.Client.GetReportAsync(new GetReportRequest { ReportId = id });
        var queues = new QueueService.QueueServiceClient(_server.Channel);
        var team = await queues.LeaseAsync(new LeaseRequest { Queue = "proprete-marseille-provence", MaxItems = 100, VisibilityTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) });
        var review = await queues.LeaseAsync(new LeaseRequest { Queue = "revue", MaxItems = 100, VisibilityTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) });
        var item = await Review.GetAsync(new GetReviewRequest { ReportId = id, MaxSide = 64 });

        Assert.Equal((TriageStatus.Routed, "salissure", "proprete-marseille-provence"), (resolved.Status, resolved.Label.Code, resolved.Queue.Id));
        Assert.Equal(resolved, followed);
        Assert.Contains(followed.Explanation, e => e == "operator alice: 'salissure'");
        Assert.Equal("salissure", team.Items.Single(i => i.ReportId == id).Label.Code);
        Assert.DoesNotContain(review.Items, i => i.ReportId == id);
        Assert.True(item.Photo.Length > 0 && Math.Max(item.PhotoWidth, item.PhotoHeight) == 64, $"{item.PhotoWidth}x{item.PhotoHeight}");
        Assert.Equal("graffiti", item.DeclaredCategory);
    }

    [SharedDataFact]
    public async Task Decisions_UnknownUnclaimedResolvedOrAnonymous_EachAClearStatus()
    {
        var id = await PendingAsync();
        var unknown = await FailsAsync(Review.ResolveAsync(new ResolveRequest { ReportId = "never-sent", LabelCode = "graffiti" }, As("alice")));
        var unclaimed = await FailsAsync(Review.RejectAsync(new RejectRequest { ReportId = id, Reason = "photo floue" }, As("alice")));
        var anonymous = await FailsAsync(Review.ClaimAsync(new ClaimRequest { ReportId = id }, TestTokens.Anonymous));
        var badLabel = await FailsAsync(Review.ResolveAsync(new ResolveRequest { ReportId = id, LabelCode = "licorne" }, As("alice")));
        var tooLarge = await FailsAsync(Review.GetAsync(new GetReviewRequest { ReportId = id, MaxSide = 4096 }));
        await Review.ClaimAsync(new ClaimRequest { ReportId = id }, As("alice"));
        var rejected = await Review.RejectAsync(new RejectRequest { ReportId = id, Reason = "photo floue" }, As("alice"));
        var again = await FailsAsync(Review.MarkDuplicateAsync(new MarkDuplicateRequest { ReportId = id, OfReportId = await PendingAsync() }, As("alice")));
        var reclaim = await FailsAsync(Review.ClaimAsync(new ClaimRequest { ReportId = id }, As("alice")));

        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, unclaimed.StatusCode);
        Assert.Contains("claim it first", unclaimed.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badLabel.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, tooLarge.StatusCode);
        Assert.Contains("max_side", tooLarge.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(TriageStatus.Rejected, rejected.Status);
        Assert.Equal("", rejected.Queue.Id);
        Assert.Contains(rejected.Explanation, e => e.Contains("photo floue", StringComparison.Ordinal));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Contains("not under review", again.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, reclaim.StatusCode);
    }

    [SharedDataFact]
    public async Task MarkDuplicate_AttachesToTheOriginal_WhoseOutcomeBothReportersRead_AndResolveUndoesIt()
    {
        var original = await PendingAsync();
        var second = await PendingAsync();
        await Review.ClaimAsync(new ClaimRequest { ReportId = second }, As("bob"));

        var attached = await Review.MarkDuplicateAsync(new MarkDuplicateRequest { ReportId = second, OfReportId = original }, As("bob"));
        await Review.ClaimAsync(new ClaimRequest { ReportId = original }, As("alice"));
        var resolved = await Review.ResolveAsync(new ResolveRequest { ReportId = original, LabelCode = "graffiti" }, As("alice"));
        var followed = await _server.Client.GetReportAsync(new GetReportRequest { ReportId = second });
        await Review.ClaimAsync(new ClaimRequest { ReportId = second }, As("bob"));
        var undone = await Review.ResolveAsync(new ResolveRequest { ReportId = second, LabelCode = "depot_sauvage" }, As("bob"));
        var originalAfter = await _server.Client.GetReportAsync(new GetReportRequest { ReportId = original });

        Assert.Equal((TriageStatus.Duplicate, original), (attached.Status, attached.DuplicateOf));
        Assert.Equal(2, resolved.ReportCount);
        Assert.Equal((TriageStatus.Duplicate, "graffiti", "proprete-marseille-provence"), (followed.Status, followed.Label.Code, followed.Queue.Id));
        Assert.Equal((TriageStatus.Routed, "depot_sauvage", ""), (undone.Status, undone.Label.Code, undone.DuplicateOf));
        Assert.Equal(1, originalAfter.ReportCount);
    }

    [SharedDataFact]
    public async Task Cli_OperatorListsClaimsShowsAndResolvesFromATerminal()
    {
        var id = await PendingAsync();
        var server = _server.Address.ToString();
        var photo = Path.Combine(Path.GetTempPath(), $"fidamia-review-{Guid.NewGuid():N}.jpg");
        try
        {
            var list = await CliProcess.RunAsync("review", "list", "--label", "graffiti", "--page-size", "200", "--server", server);
            var claim = await CliProcess.RunAsync("review", "claim", id, "--operator", "carole", "--server", server);
            var show = await CliProcess.RunAsync("review", "show", id, "--photo", photo, "--max-side", "100", "--server", server);
            var resolve = await CliProcess.RunAsync("review", "resolve", id, "graffiti", "--operator", "carole", "--note", "tag", "--server", server);
            var again = await CliProcess.RunAsync("review", "reject", id, "--reason", "x", "--operator", "carole", "--server", server);

            Assert.True(list.ExitCode == 0, list.Stderr);
            Assert.Contains(id, list.Stdout, StringComparison.Ordinal);
            Assert.Contains("under review; by label: graffiti", list.Stdout, StringComparison.Ordinal);
            Assert.Contains("claimed by carole", claim.Stdout, StringComparison.Ordinal);
            Assert.True(show.ExitCode == 0, show.Stderr);
            Assert.Contains("\"claim\"", show.Stdout, StringComparison.Ordinal);
            Assert.True(new FileInfo(photo).Length > 0);
            Assert.Contains("TRIAGE_STATUS_ROUTED", resolve.Stdout, StringComparison.Ordinal);
            Assert.NotEqual(0, again.ExitCode);
            Assert.Contains("FAILED_PRECONDITION", again.Stderr, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(photo);
        }
    }

    [SharedDataFact]
    public async Task DatasetExport_WritesEveryHumanLabelledReportAsAnImageFolderWithLabelsCsv()
    {
        var resolved = await PendingAsync();
        var rejected = await PendingAsync();
        var untouched = await PendingAsync();
        await Review.ClaimAsync(new ClaimRequest { ReportId = resolved }, As("alice"));
        await Review.ResolveAsync(new ResolveRequest { ReportId = resolved, LabelCode = "salissure", Note = "pas un tag, une salissure" }, As("alice"));
        await Review.ClaimAsync(new ClaimRequest { ReportId = rejected }, As("alice"));
        await Review.RejectAsync(new RejectRequest { ReportId = rejected, Reason = "hors sujet" }, As("alice"));
        var folder = Path.Combine(Path.GetTempPath(), $"fidamia-dataset-{Guid.NewGuid():N}");
        try
        {
            var (exitCode, stdout, stderr) = await CliProcess.RunAsync("dataset", "export", "--out", folder, "--server", _server.Address.ToString());

            Assert.True(exitCode == 0, stderr);
            Assert.Contains("1 reports written", stdout, StringComparison.Ordinal);
            var photo = Path.Combine(folder, "salissure", resolved + ".png");
            Assert.Equal(TestPhotos.Shared("graf1.png").Length, new FileInfo(photo).Length); // graf1.png carries no metadata to strip
            var lines = await File.ReadAllLinesAsync(Path.Combine(folder, "labels.csv"));
            Assert.Equal("report_id,label,source,operator,model_name,model_version,model_label,model_confidence,decided_at,photo", lines[0]);
            var row = Assert.Single(lines.Skip(1)).Split(',');
            Assert.Equal([resolved, "salissure", "human", "alice", "resnet18"], row[..5]);
            Assert.Equal(("graffiti", "0.7", $"salissure/{resolved}.png"), (row[6], row[7], row[9]));
            Assert.DoesNotContain(lines, l => l.Contains(rejected, StringComparison.Ordinal) || l.Contains(untouched, StringComparison.Ordinal));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
