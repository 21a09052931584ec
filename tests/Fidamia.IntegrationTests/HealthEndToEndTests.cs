using System.Net;
using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>The HTTP endpoint beside gRPC (Kestrel:Endpoints:Http): liveness, readiness and a real Prometheus scrape.</summary>
public class HealthEndToEndTests
{
    [SharedDataFact]
    public async Task HttpEndpoint_ProbesAnswer_AndAScrapeAfterTrafficShowsThePipelinesInstruments()
    {
        await using var server = await ServerProcess.StartAsync("--Duplicates:Enabled=false");
        using var http = new HttpClient { BaseAddress = server.HttpAddress };

        var live = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var triaged = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 1), declared: "graffiti"));
        var scrape = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.NotNull(server.HttpAddress);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready\n", await ready.Content.ReadAsStringAsync());
        // Ours, by stage and outcome; the scheduler's; ASP.NET Core's own requests; the runtime's.
        Assert.Contains("fidamia_triage_reports_total{", scrape, StringComparison.Ordinal);
        Assert.Contains("fidamia_triage_duration_seconds_bucket{", scrape, StringComparison.Ordinal);
        Assert.Contains("stage=\"infer\"", scrape, StringComparison.Ordinal);
        Assert.Contains("fidamia_scheduler_batch_size", scrape, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", scrape, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain(triaged.ReportId, scrape, StringComparison.Ordinal); // no report id in any tag
        Assert.Matches(@"fidamia_triage_decisions_total\{[^}]*family=""proprete"",queue=""revue"",status=""needs_review""\} 1\b", scrape);
        Assert.Matches(@"fidamia_rpc_requests_total\{[^}]*code=""OK"",method=""/fidamia.v1.TriageService/Triage""\} 1\b", scrape);
    }

    [SharedDataFact]
    public async Task Scrape_CountsRefusedCallsByStatus_AndTheReviewBacklogOnceTheGaugesReadTheQueues()
    {
        await using var server = await ServerProcess.StartAsync("--Duplicates:Enabled=false");
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 2)));
        var invalid = Requests.Report(TestPhotos.Shot("graf1.png", 3));
        invalid.Location.Lat = 91;
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => server.Client.TriageAsync(invalid).ResponseAsync);

        // The gauges read the queues every 15 s: the report waiting for review shows at the next read.
        var scrape = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(40); DateTime.UtcNow < deadline; await Task.Delay(500))
        {
            scrape = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            if (System.Text.RegularExpressions.Regex.IsMatch(scrape, @"fidamia_review_backlog(\{[^}]*\})? 1\b"))
            {
                break;
            }
        }

        Assert.Matches(@"fidamia_rpc_requests_total\{[^}]*code=""INVALID_ARGUMENT"",method=""/fidamia.v1.TriageService/Triage""\} 1\b", scrape);
        Assert.Matches(@"fidamia_review_backlog(\{[^}]*\})? 1\b", scrape);
        Assert.Matches(@"fidamia_queue_depth\{[^}]*queue=""revue""[^}]*\} 1\b", scrape);
        Assert.Contains("fidamia_review_oldest_age_seconds", scrape, StringComparison.Ordinal);
    }
}
