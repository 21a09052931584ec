using System.Text.Json;
using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Core;

namespace Fidamia.IntegrationTests;

/// <summary>The container's log format: JSON lines, with the caller's trace id, and nothing personal.</summary>
public class LoggingEndToEndTests
{
    [SharedDataFact]
    public async Task JsonLogs_AreOneObjectPerLine_CarryTheCallersTraceId_AndNoPersonalData()
    {
        await using var server = await ServerProcess.StartAsync("--Duplicates:Enabled=false", "--Logging:Console:FormatterName=json");
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var traced = new Metadata { { "traceparent", $"00-{traceId}-00f067aa0ba902b7-01" }, { DefaultTokenHandler.NoTokenHeader, "1" } };
        var report = Requests.Report(TestPhotos.Shot("graf1.png", 31), lat: 43.29651234, lon: 5.36981234, declared: "graffiti");
        report.Description = "Tag devant chez Jean Dupont, 12 rue Paradis";

        // Refused (no token): logged inside the call, under its trace. Then the same report, answered.
        await Assert.ThrowsAsync<RpcException>(() => server.Client.TriageAsync(report, traced).ResponseAsync);
        await server.Client.TriageAsync(report);
        var invalid = report.Clone();
        invalid.ReportId = "log-invalid";
        invalid.Location.Lat = 91;
        await Assert.ThrowsAsync<RpcException>(() => server.Client.TriageAsync(invalid).ResponseAsync);
        await Task.Delay(500); // the console logger writes from its own thread

        var lines = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var entries = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList(); // throws on a line that is not JSON
        var refused = Assert.Single(entries, e => e.GetProperty("EventId").GetInt32() == 3011);

        Assert.Contains(entries, e => e.GetProperty("Message").GetString()!.StartsWith("Now listening on", StringComparison.Ordinal));
        Assert.Contains(refused.GetProperty("Scopes").EnumerateArray(), s => s.TryGetProperty("TraceId", out var id) && id.GetString() == traceId);
        Assert.DoesNotContain("Dupont", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Paradis", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("43.2965", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("5.3698", server.Output, StringComparison.Ordinal);
    }
}
