using Fidamia.Protos.V1;
using Fidamia.Tests;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;

namespace Fidamia.IntegrationTests;

[Collection(ServerCollection.Name)]
public class TriageEndToEndTests(ServerFixture fixture)
{
    private const double LeuvenLat = 50.8715278;
    private const double LeuvenLon = 4.6969833;

    private TriageService.TriageServiceClient Client => fixture.Server.Client;

    private static BadRequest.Types.FieldViolation[] Violations(RpcException ex) =>
        ex.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.ToArray() ?? [];

    [SharedDataFact]
    public async Task Triage_LeuvenPhotoDeclaredInMarseille_ReportsItsExifPositionAbout844KmAway()
    {
        var response = await Client.TriageAsync(Requests.Report(TestPhotos.Shared("leuvenA.jpg"), declared: "trottoir"));

        Assert.Equal(LeuvenLat, response.Photo.ExifLocation.Lat, 6);
        Assert.Equal(LeuvenLon, response.Photo.ExifLocation.Lon, 6);
        Assert.InRange(response.Photo.DeclaredToExifDistanceM, 835_000, 850_000);
        Assert.Equal(new DateTimeOffset(2019, 4, 14, 13, 46, 10, TimeSpan.Zero), response.Photo.TakenAt.ToDateTimeOffset());
        Assert.Equal("jpeg", response.Photo.Format);
        Assert.Equal(("13055", "Marseille", "Marseille Provence"), (response.Context.Commune.Insee, response.Context.Commune.Name, response.Context.Territory));
        // The shared server runs on Models:Precision=auto: int8 where this CPU has 8-bit dot products.
        Assert.Equal(("resnet18", HostCpu.AutoDefaultModelVersion), (response.Model.Name, response.Model.Version));
        // A photo taken 844 km away is never routed automatically.
        Assert.Equal(TriageStatus.NeedsReview, response.Status);
        Assert.Equal("revue", response.Queue.Id);
        Assert.Equal("trottoir", response.Label.Code);
        Assert.Contains(response.Explanation, e => e.Contains("EXIF", StringComparison.Ordinal));
    }

    [SharedDataFact]
    public async Task Triage_LeuvenPhotoDeclaredAtItsExifPoint_IsOutsideTheTerritory()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client.TriageAsync(Requests.Report(TestPhotos.Shared("leuvenA.jpg"), LeuvenLat, LeuvenLon)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(Violations(ex));
        Assert.Equal("location", violation.Field);
        Assert.Contains("outside the served territory", violation.Description, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public async Task Triage_BadPhotoOutsideTheTerritoryAndUnknownCategory_ListsEveryViolationTogether()
    {
        var request = Requests.Report(TestPhotos.Gif(), LeuvenLat, LeuvenLon, declared: "no_such_label");

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.TriageAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(["declared_category", "location", "photo"], Violations(ex).Select(v => v.Field).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string> UnacceptablePhotos => ["truncated-jpeg", "truncated-png", "gif", "tiff", "png-40000x40000", "random-bytes"];

    [SharedDataTheory]
    [MemberData(nameof(UnacceptablePhotos))]
    public async Task Triage_UnacceptablePhoto_IsInvalidArgumentNamingPhoto(string kind)
    {
        var photo = kind switch
        {
            "truncated-jpeg" => TestPhotos.Truncated("leuvenA.jpg", 0.6),
            "truncated-png" => TestPhotos.Truncated("graf1.png", 0.6),
            "gif" => TestPhotos.Gif(),
            "tiff" => TestPhotos.Tiff(),
            "png-40000x40000" => TestPhotos.PngClaiming(40_000),
            _ => Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray(),
        };

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.TriageAsync(Requests.Report(photo)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("photo", Assert.Single(Violations(ex)).Field);
    }

    [SharedDataFact]
    public async Task Triage_PngClaiming40000Pixels_IsRefusedWithoutAllocatingThePixels()
    {
        var before = fixture.Server.PeakResidentBytes();

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.TriageAsync(Requests.Report(TestPhotos.PngClaiming(40_000))).ResponseAsync);

        Assert.Contains("1600", Assert.Single(Violations(ex)).Description, StringComparison.Ordinal);
        // The pixels would take 4.8 GB; the peak resident size of the server must not move by a fraction of that.
        Assert.True(fixture.Server.PeakResidentBytes() - before < 256L * 1024 * 1024);
    }

    [SharedDataFact]
    public async Task Triage_EmptyRequest_ListsEveryMissingFieldInOneStatus()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.TriageAsync(new TriageRequest()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(["report_id", "photo", "location", "channel"], Violations(ex).Select(v => v.Field));
    }

    [SharedDataFact]
    public async Task Triage_PhotoOverTheGrpcDefault4MB_IsAccepted()
    {
        var photo = TestPhotos.LargeNoisePng(1300);
        Assert.True(photo.Length > 4 * 1024 * 1024);

        var response = await Client.TriageAsync(Requests.Report(photo));

        Assert.Equal(("png", 1300, 1300), (response.Photo.Format, response.Photo.Width, response.Photo.Height));
    }

    [Fact]
    public async Task RequestsWithoutAPhoto_OverOneMegabyte_AreResourceExhaustedUnread_AndSmallOnesAreAnswered()
    {
        // Only Triage carries a photo: GetReport (Triage's service, held by the admission middleware) and the other
        // services (gRPC's own limit) take at most 1 MB.
        var large = new string('a', 1_200_000);
        var getReport = await Assert.ThrowsAsync<RpcException>(() => Client.GetReportAsync(new GetReportRequest { ReportId = large }).ResponseAsync);
        var nack = await Assert.ThrowsAsync<RpcException>(() =>
            new QueueService.QueueServiceClient(fixture.Server.Channel).NackAsync(new NackRequest { LeaseId = "lease", Reason = large }).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Client.GetReportAsync(new GetReportRequest { ReportId = "never-sent" }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, getReport.StatusCode);
        Assert.Contains("at most 1048576", getReport.Status.Detail, StringComparison.Ordinal);
        Assert.Null(getReport.GetRpcStatus()?.GetDetail<RetryInfo>()); // the same request would be refused again
        Assert.Equal(StatusCode.ResourceExhausted, nack.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [SharedDataFact]
    public async Task Triage_SameReportTwice_GivesTheSameAnswerAndADifferentReportUnderItsIdIsRefused()
    {
        var request = Requests.Report(TestPhotos.Shared("building.jpg"), declared: "graffiti");

        var first = await Client.TriageAsync(request);
        var second = await Client.TriageAsync(request);
        var conflicting = request.Clone();
        conflicting.DeclaredCategory = "epave";
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.TriageAsync(conflicting).ResponseAsync);

        Assert.Equal(first, second);
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
    }

    [SharedDataFact]
    public async Task Triage_ColdServiceWithDeclaredCategory_GoesToReviewWithTheDeclaredLabel()
    {
        var response = await Client.TriageAsync(Requests.Report(TestPhotos.Shared("building.jpg"), 43.5297, 5.4474, "graffiti"));

        Assert.Equal(TriageStatus.NeedsReview, response.Status);
        Assert.Equal("graffiti", response.Label.Code);
        Assert.Equal("Graffiti ou tag", response.Label.Name);
        Assert.Equal(0.7, response.Confidence, 2);
        Assert.Equal(("13001", "Pays d'Aix"), (response.Context.Commune.Insee, response.Context.Territory));
        Assert.Contains(response.Explanation, e => e.Contains("proprete-pays-d-aix", StringComparison.Ordinal));
        Assert.True(response.Candidates.Count >= 2);
    }

    [SharedDataFact]
    public async Task Health_AfterStart_IsServing()
    {
        var health = new Health.HealthClient(fixture.Server.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [SharedDataFact]
    public async Task Health_PerService_EachOfOursIsServing_AndAnUnknownOneIsNotFound()
    {
        var health = new Health.HealthClient(fixture.Server.Channel);
        string[] ours = ["fidamia.v1.TriageService", "fidamia.v1.ReviewService", "fidamia.v1.QueueService", "fidamia.v1.ModelService", "fidamia.v1.DatasetService"];

        var statuses = new List<HealthCheckResponse.Types.ServingStatus>();
        foreach (var service in ours)
        {
            statuses.Add((await health.CheckAsync(new HealthCheckRequest { Service = service })).Status);
        }

        var unknown = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "fidamia.v1.Nothing" }).ResponseAsync);

        Assert.All(statuses, s => Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, s));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, unknown.StatusCode);
    }
}
