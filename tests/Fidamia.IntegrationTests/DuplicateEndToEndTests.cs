using Fidamia.Protos.V1;
using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>A second report of the same problem is attached to the first instead of sending a second crew.</summary>
public sealed class DuplicateEndToEndTests
{
    /// <summary>Metres north of Marseille's Vieux-Port, in degrees of latitude.</summary>
    private static double North(double metres) => Requests.MarseilleLat + (metres / 111_320);

    private static Task<ServerProcess> StartAsync(params string[] settings) =>
        ServerProcess.StartAsync([$"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", .. settings]);

    [SharedDataFact]
    public async Task Triage_SamePhoto10mApart_IsADuplicate_500mApartOrAnotherPhotoIsNot()
    {
        await using var server = await StartAsync();
        var photo = TestPhotos.Shared("graf1.png");

        var first = await server.Client.TriageAsync(Requests.Report(photo, declared: "graffiti"));
        var again = await server.Client.TriageAsync(Requests.Report(photo, lat: North(10), declared: "graffiti"));
        var farther = await server.Client.TriageAsync(Requests.Report(photo, lat: North(500), declared: "graffiti"));
        var other = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("brick.png"), declared: "graffiti"));
        var followed = await server.Client.GetReportAsync(new GetReportRequest { ReportId = first.ReportId });

        Assert.Equal(TriageStatus.NeedsReview, first.Status);
        Assert.Equal((TriageStatus.Duplicate, first.ReportId), (again.Status, again.DuplicateOf));
        Assert.Equal((first.Label, first.Queue), (again.Label, again.Queue));
        Assert.Contains(again.Explanation, e => e.StartsWith($"duplicate: report {first.ReportId}", StringComparison.Ordinal));
        Assert.Equal(2, again.ReportCount);
        Assert.Equal(TriageStatus.NeedsReview, farther.Status);
        Assert.Equal(TriageStatus.NeedsReview, other.Status);
        Assert.Equal("", other.DuplicateOf);
        Assert.Equal(2, followed.ReportCount);
    }

    [SharedDataFact]
    public async Task Triage_SamePhotoAfterTheWindow_IsNotADuplicate()
    {
        await using var server = await StartAsync("--Duplicates:Window=00:00:02");
        var photo = TestPhotos.Shared("graf1.png");

        var first = await server.Client.TriageAsync(Requests.Report(photo, declared: "graffiti"));
        var within = await server.Client.TriageAsync(Requests.Report(photo, lat: North(10), declared: "graffiti"));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var after = await server.Client.TriageAsync(Requests.Report(photo, lat: North(10), declared: "graffiti"));

        Assert.Equal(first.ReportId, within.DuplicateOf);
        Assert.Equal(TriageStatus.NeedsReview, after.Status);
    }
}
