using Fidamia.Core.Security;
using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Core;

namespace Fidamia.IntegrationTests.PostGis;

/// <summary>
/// Two service processes on one PostgreSQL database: an operator's claim on one holds on the other, and what operators
/// teach through one, the other learns within seconds.
/// </summary>
public sealed class PostgresReviewEndToEndTests
{
    [PostGisSharedDataFact]
    public async Task TwoInstances_ClaimsHoldAcrossThem_AndWhatOneLearnsTheOtherRoutes()
    {
        await using var schema = await PostgresTestSchema.CreateAsync();
        string[] settings = [
            $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}",
            "--Storage:Provider=postgres",
            $"--Storage:ConnectionString={schema.ConnectionString}",
            "--Duplicates:Enabled=false",
            "--Models:Precision=fp32",
            "--Prototypes:SyncInterval=00:00:00.500",
        ];
        await using var a = await ServerProcess.StartAsync(settings);
        await using var b = await ServerProcess.StartAsync(settings);
        var reviewA = new ReviewService.ReviewServiceClient(a.Channel);
        var reviewB = new ReviewService.ReviewServiceClient(b.Channel);
        var alice = TestTokens.As("alice", Roles.Review);

        var first = await a.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 1)));
        await reviewA.ClaimAsync(new ClaimRequest { ReportId = first.ReportId }, alice);
        var onB = await Assert.ThrowsAsync<RpcException>(() =>
            reviewB.ClaimAsync(new ClaimRequest { ReportId = first.ReportId }, TestTokens.As("bob", Roles.Review)).ResponseAsync);
        await reviewA.ResolveAsync(new ResolveRequest { ReportId = first.ReportId, LabelCode = "graffiti" }, alice);

        foreach (var (photo, label) in new[] { ("graf1.png", "graffiti"), ("brick.png", "trottoir"), ("grass.png", "vegetation") })
        {
            for (var seed = label == "graffiti" ? 2 : 1; seed <= 3; seed++)
            {
                var shot = await a.Client.TriageAsync(Requests.Report(TestPhotos.Shot(photo, seed)));
                await reviewA.ClaimAsync(new ClaimRequest { ReportId = shot.ReportId }, alice);
                await reviewA.ResolveAsync(new ResolveRequest { ReportId = shot.ReportId, LabelCode = label }, alice);
            }
        }

        // B has taught nothing itself: it learns what A's operator taught from the store.
        TriageResponse? routed = null;
        for (var attempt = 0; attempt < 20 && routed is null; attempt++)
        {
            var unseen = await b.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 2000)));
            routed = unseen.Status == TriageStatus.Routed ? unseen : null;
            if (routed is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }

        Assert.Equal(StatusCode.FailedPrecondition, onB.StatusCode);
        Assert.Contains("claimed by alice", onB.Status.Detail, StringComparison.Ordinal);
        Assert.NotNull(routed);
        Assert.Equal("graffiti", routed.Label.Code);
    }
}
