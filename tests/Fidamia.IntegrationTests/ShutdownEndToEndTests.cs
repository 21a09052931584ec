using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Fidamia.IntegrationTests;

/// <summary>Readiness from start to stop, and SIGTERM under load: nothing accepted is lost.</summary>
public class ShutdownEndToEndTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Callers = 8;

    [SharedDataFact]
    public async Task Sigterm_UnderLoad_ReadinessGoesFalse_NewCallsAreUnavailable_AndEveryAcceptedCallIsAnsweredAndStored()
    {
        await using var server = await ServerProcess.StartAsync("--Duplicates:Enabled=false", "--Server:DrainDelay=00:00:02");
        using var http = new HttpClient { BaseAddress = server.HttpAddress, Timeout = TimeSpan.FromSeconds(5) };
        var readyBefore = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var photo = TestPhotos.Shot("graf1.png", 21);
        var outcomes = new ConcurrentBag<(string ReportId, StatusCode Code, string Detail)>();
        var answered = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var callers = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var request = Requests.Report(photo, declared: "graffiti");
                request.ReportId = $"sigterm-{c}-{i}";
                try
                {
                    await server.Client.TriageAsync(request, deadline: DateTime.UtcNow.AddSeconds(60));
                    outcomes.Add((request.ReportId, StatusCode.OK, ""));
                    Interlocked.Increment(ref answered);
                }
                catch (RpcException ex)
                {
                    outcomes.Add((request.ReportId, ex.StatusCode, ex.Status.Detail));
                    return; // refused: this caller would go to another instance
                }
            }
        })).ToArray();

        while (Volatile.Read(ref answered) < 2 * Callers)
        {
            await Task.Delay(50);
        }

        server.Terminate();
        // The signal is handled a moment later; during the drain the port still answers, and says why it is not ready.
        var readyAfter = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        for (var tries = 0; readyAfter.StatusCode == HttpStatusCode.OK && tries < 100; tries++)
        {
            await Task.Delay(10);
            readyAfter = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        }

        var healthAfter = await new Grpc.Health.V1.Health.HealthClient(server.Channel).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await Task.WhenAll(callers);

        var stopped = outcomes.Count(o => o.Code == StatusCode.OK);
        output.WriteLine($"{stopped} answered ({Volatile.Read(ref answered)} before or after SIGTERM), {outcomes.Count - stopped} refused: "
            + string.Join("; ", outcomes.Where(o => o.Code != StatusCode.OK).Select(o => o.Detail).Distinct()));
        Assert.Equal(HttpStatusCode.OK, readyBefore.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyAfter.StatusCode);
        Assert.Contains("shutting down", await readyAfter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, healthAfter.Status);
        Assert.Equal(0, exitCode);
        // Every call either answered, or refused as unavailable (by the drain, or by a closed port): none failed otherwise.
        Assert.All(outcomes, o => Assert.True(o.Code is StatusCode.OK or StatusCode.Unavailable, $"{o.ReportId}: {o.Code} {o.Detail}"));
        Assert.Contains(outcomes, o => o.Code == StatusCode.Unavailable);
        // What was answered is stored; what was refused was not taken.
        var stored = StoredIds(server.DataDirectory);
        Assert.All(outcomes.Where(o => o.Code == StatusCode.OK), o => Assert.Contains(o.ReportId, stored));
        Assert.All(outcomes.Where(o => o.Code == StatusCode.Unavailable), o => Assert.DoesNotContain(o.ReportId, stored));
        Assert.Contains("Shutting down: not ready", server.Output, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public async Task Readiness_IsNeverTrueBeforeThePipelineIsReady()
    {
        // The HTTP port is watched from the process's start: before the model is loaded and warmed up nothing answers
        // (a probe's connection is refused: not ready), and /readyz answers 200 only after "Triage pipeline ready".
        var port = FreePort();
        var answers = new ConcurrentQueue<(DateTime At, HttpStatusCode? Status)>();
        using var watching = new CancellationTokenSource();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                try
                {
                    using var answer = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"));
                    answers.Enqueue((DateTime.UtcNow, answer.StatusCode));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    answers.Enqueue((DateTime.UtcNow, null));
                }

                await Task.Delay(20);
            }
        });

        await using var server = await ServerProcess.StartAsync($"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{port}");
        await Task.Delay(300);
        await watching.CancelAsync();
        await watcher;

        Assert.Contains("Triage pipeline ready", server.Output, StringComparison.Ordinal);
        var all = answers.ToArray();
        Assert.Contains(all, a => a.Status is null); // while it was starting
        Assert.Contains(all, a => a.Status == HttpStatusCode.OK);
        var firstReady = all.First(a => a.Status == HttpStatusCode.OK).At;
        Assert.All(all.Where(a => a.At < firstReady), a => Assert.NotEqual(HttpStatusCode.OK, a.Status));
        Assert.True(server.Output.IndexOf("Triage pipeline ready", StringComparison.Ordinal) < server.Output.IndexOf("Now listening on", StringComparison.Ordinal));
    }

    private static int FreePort()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static HashSet<string> StoredIds(string dataDirectory)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "fidamia.db")};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT report_id FROM reports";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
