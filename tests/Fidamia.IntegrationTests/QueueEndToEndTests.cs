using Fidamia.Protos.V1;
using Fidamia.Tests;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Fidamia.IntegrationTests;

/// <summary>The service teams' side over a real channel: what triage put in a queue is leased, acknowledged, refused, watched.</summary>
public sealed class QueueEndToEndTests
{
    // A cold service sends reports to the operators' review queue, a queue like the others here.
    private const string Review = "revue";

    private static async Task<(ServerProcess Server, QueueService.QueueServiceClient Queues)> StartAsync()
    {
        var server = await ServerProcess.StartAsync($"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}");
        return (server, new QueueService.QueueServiceClient(server.Channel));
    }

    [SharedDataFact]
    public async Task LeaseAckNack_OverGrpc_DeliverWhatTriageQueuedAtLeastOnce()
    {
        var (server, queues) = await StartAsync();
        await using var _ = server;
        var first = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("graf1.png"), declared: "graffiti"));
        var second = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("brick.png"), declared: "trottoir"));

        var leased = await queues.LeaseAsync(new LeaseRequest { Queue = Review, MaxItems = 10, VisibilityTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) });
        var acked = await queues.AckAsync(new AckRequest { LeaseIds = { leased.Items[0].LeaseId, "not-a-lease" } });
        await queues.NackAsync(new NackRequest { LeaseId = leased.Items[1].LeaseId, RetryAfter = Duration.FromTimeSpan(TimeSpan.Zero), Reason = "not ours" });
        var again = await queues.LeaseAsync(new LeaseRequest { Queue = Review, MaxItems = 10, VisibilityTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) });
        var stats = await queues.StatsAsync(new StatsRequest());

        Assert.Equal([first.ReportId, second.ReportId], leased.Items.Select(i => i.ReportId));
        Assert.Equal(first.Label, leased.Items[0].Label);
        Assert.Equal(first.Context, leased.Items[0].Context);
        Assert.Equal(64, leased.Items[0].PhotoSha256.Length);
        Assert.Equal(["not-a-lease"], acked.UnknownLeaseIds);
        var redelivered = Assert.Single(again.Items);
        Assert.Equal((second.ReportId, 2), (redelivered.ReportId, redelivered.Attempts));
        var review = Assert.Single(stats.Queues, q => q.Queue == Review);
        Assert.Equal((0L, 1L, 0L), (review.Depth, review.InFlight, review.DeadLetters));
    }

    [SharedDataFact]
    public async Task Lease_UnknownQueueOrBadBounds_AreNotFoundAndInvalidArgumentListingEveryField()
    {
        var (server, queues) = await StartAsync();
        await using var _ = server;

        var unknown = await Assert.ThrowsAsync<RpcException>(() => queues.LeaseAsync(
            new LeaseRequest { Queue = "no-such-queue", MaxItems = 1, VisibilityTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) }).ResponseAsync);
        var bad = await Assert.ThrowsAsync<RpcException>(() => queues.LeaseAsync(new LeaseRequest { Queue = Review, MaxItems = 0 }).ResponseAsync);
        var nack = await Assert.ThrowsAsync<RpcException>(() => queues.NackAsync(new NackRequest { LeaseId = "never-leased" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no-such-queue", unknown.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Equal(["max_items", "visibility_timeout"], bad.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
        Assert.Equal(StatusCode.NotFound, nack.StatusCode);
    }

    [SharedDataFact]
    public async Task Watch_ReportTriagedWhileWatching_IsPushedLeased()
    {
        var (server, queues) = await StartAsync();
        await using var _ = server;
        using var watching = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var call = queues.Watch(new WatchRequest { Queue = Review, VisibilityTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) }, cancellationToken: watching.Token);

        var triaged = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("grass.png"), declared: "vegetation"));
        Assert.True(await call.ResponseStream.MoveNext(watching.Token));
        var pushed = call.ResponseStream.Current;
        var acked = await queues.AckAsync(new AckRequest { LeaseIds = { pushed.LeaseId } });

        Assert.Equal(triaged.ReportId, pushed.ReportId);
        Assert.Empty(acked.UnknownLeaseIds);
    }

    [SharedDataFact]
    public async Task Cli_QueueAndReportCommands_WorkTheQueueAgainstTheService()
    {
        var (server, _) = await StartAsync();
        await using var running = server;
        var triaged = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("graf1.png"), declared: "graffiti"));
        var address = server.Address.ToString();

        var (statsExit, statsOut, statsErr) = await CliProcess.RunAsync("queue", "stats", "--server", address, "--json");
        var (leaseExit, leaseOut, leaseErr) = await CliProcess.RunAsync("queue", "lease", Review, "--server", address, "--json");
        using var leased = System.Text.Json.JsonDocument.Parse(leaseOut);
        var item = leased.RootElement.GetProperty("items")[0];
        var (ackExit, ackOut, _) = await CliProcess.RunAsync("queue", "ack", item.GetProperty("leaseId").GetString()!, "--server", address);
        var (showExit, showOut, _) = await CliProcess.RunAsync("report", "show", triaged.ReportId, "--server", address);
        var (missingExit, _, missingErr) = await CliProcess.RunAsync("report", "show", "never-sent", "--server", address);

        Assert.True(statsExit == 0, statsErr);
        Assert.Contains("\"depth\": \"1\"", statsOut, StringComparison.Ordinal);
        Assert.True(leaseExit == 0, leaseErr);
        Assert.Equal(triaged.ReportId, item.GetProperty("reportId").GetString());
        Assert.Equal((0, "1 done"), (ackExit, ackOut.Trim()));
        Assert.Equal(0, showExit);
        Assert.Equal(triaged.ReportId, System.Text.Json.JsonDocument.Parse(showOut).RootElement.GetProperty("reportId").GetString());
        Assert.Equal(1, missingExit);
        Assert.Contains("NOT_FOUND", missingErr, StringComparison.Ordinal);
    }
}
