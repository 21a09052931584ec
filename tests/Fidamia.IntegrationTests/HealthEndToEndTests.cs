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
        var triaged = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 1)));
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
    }
}
