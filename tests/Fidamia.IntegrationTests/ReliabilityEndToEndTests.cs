using Fidamia.Core.Security;
using System.Globalization;
using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Core;
using Xunit.Abstractions;

namespace Fidamia.IntegrationTests;

/// <summary>
/// Where operators keep confirming one channel's declarations (the municipal agents'), those declarations soon route on
/// their own, while another channel's still go to review. The photo says nothing here (a cold memory, nothing learnt
/// from it), so only the learnt reliability of declarations can make the difference.
/// </summary>
public sealed class ReliabilityEndToEndTests(ITestOutputHelper output)
{
    [SharedDataFact]
    public async Task OperatorsConfirmingAgentsDeclarations_MakeThemRouteOnTheirOwn_AndNotOtherChannels()
    {
        await using var server = await ServerProcess.StartAsync(
            $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", "--Duplicates:Enabled=false", "--Triage:ReliabilityRefreshInterval=00:00:00.200");
        var review = new ReviewService.ReviewServiceClient(server.Channel);
        var alice = TestTokens.As("alice", Roles.Review);
        string[] photos = ["graf1.png", "brick.png", "grass.png", "gravel.png"];
        string[] declared = ["graffiti", "trottoir", "vegetation", "depot_sauvage"];

        var confirmed = 0;
        TriageResponse? routed = null;
        for (var i = 0; i < 40 && routed is null; i++)
        {
            var request = Requests.Report(TestPhotos.Shot(photos[i % photos.Length], i), declared: declared[i % declared.Length]);
            request.Channel = Channel.Agent;
            var response = await server.Client.TriageAsync(request);
            if (response.Status == TriageStatus.Routed)
            {
                routed = response;
                break;
            }

            await review.ClaimAsync(new ClaimRequest { ReportId = response.ReportId }, alice);
            await review.ResolveAsync(new ResolveRequest { ReportId = response.ReportId, LabelCode = request.DeclaredCategory, UseForLearning = false }, alice);
            confirmed++;
            await Task.Delay(TimeSpan.FromMilliseconds(400)); // the next refresh learns it
        }

        var web = Requests.Report(TestPhotos.Shot("graf1.png", 99), declared: "graffiti");
        web.Channel = Channel.Web;
        var fromWeb = await server.Client.TriageAsync(web);
        var stats = await review.StatsAsync(new ReviewStatsRequest());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agents' declarations routed on their own after {confirmed} confirmations, at {routed?.Confidence:0.000}"));

        Assert.NotNull(routed);
        Assert.Equal(declared[confirmed % declared.Length], routed.Label.Code);
        Assert.Contains(routed.Explanation, e => e.Contains("operator decisions on agent declarations", StringComparison.Ordinal));
        Assert.Equal(TriageStatus.NeedsReview, fromWeb.Status);
        var agents = stats.Declarations.Single(d => d.Channel == Channel.Agent && d.Declared == "");
        var label = stats.Declarations.Single(d => d.Channel == Channel.Agent && d.Declared == routed.Label.Code);
        Assert.Equal(confirmed, agents.Decisions);
        Assert.True(agents.Reliability > 0.7 && label.Reliability >= 0.8, $"{agents.Reliability} {label.Reliability}");
        Assert.Equal(confirmed, stats.Labels.Sum(l => l.Decided));
    }
}
