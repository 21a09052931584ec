using Fidamia.Protos.V1;
using Fidamia.Tests;
using Google.Protobuf.WellKnownTypes;
using Npgsql;

namespace Fidamia.IntegrationTests.PostGis;

/// <summary>
/// Issue 10's arrangement: two service processes on one PostgreSQL database, as behind one load balancer. Each test
/// uses a schema of its own, dropped after.
/// </summary>
public sealed class PostgresStorageEndToEndTests
{
    [PostGisSharedDataFact]
    public async Task TwoInstancesOnOneDatabase_WhatOneTriagedTheOtherFindsAnswersAgainAndLeases()
    {
        await using var schema = await PostgresTestSchema.CreateAsync();
        string[] settings = [
            $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}",
            "--Storage:Provider=postgres",
            $"--Storage:ConnectionString={schema.ConnectionString}",
        ];
        // Started together: both migrate the fresh schema at once, and both must come up.
        Task<ServerProcess>[] starting = [ServerProcess.StartAsync(settings), ServerProcess.StartAsync(settings)];
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var start in starting.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            throw;
        }

        await using var a = starting[0].Result;
        await using var b = starting[1].Result;
        var request = Requests.Report(TestPhotos.Shared("graf1.png"), declared: "graffiti");

        var triaged = await a.Client.TriageAsync(request);
        var retried = await b.Client.TriageAsync(request);
        var found = await b.Client.GetReportAsync(new GetReportRequest { ReportId = request.ReportId });
        var leased = await new QueueService.QueueServiceClient(b.Channel).LeaseAsync(
            new LeaseRequest { Queue = triaged.Queue.Id, MaxItems = 10, VisibilityTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) });
        var stats = await new QueueService.QueueServiceClient(a.Channel).StatsAsync(new StatsRequest());

        Assert.Equal(triaged, retried);
        Assert.Equal(triaged, found);
        Assert.Equal(request.ReportId, Assert.Single(leased.Items).ReportId);
        var queue = Assert.Single(stats.Queues, q => q.Queue == triaged.Queue.Id);
        Assert.Equal((0L, 1L), (queue.Depth, queue.InFlight));
        Assert.Equal(1L, await schema.ScalarAsync("SELECT COUNT(*) FROM schema_migrations WHERE version = 1"));
    }

    [PostGisFact]
    public async Task Start_LoginRefused_ExitsNamingTheServerNeverThePassword()
    {
        const string password = "not-the-password-9d2e";
        var wrong = new NpgsqlConnectionStringBuilder(PostGisServer.Require()) { Password = password };

        var (exitCode, output) = await ServerProcess.RunToExitAsync("--Storage:Provider=postgres", $"--Storage:ConnectionString={wrong.ConnectionString}");

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"the PostgreSQL database {wrong.Database} on {wrong.Host}:{wrong.Port} cannot be used", output, StringComparison.Ordinal);
        Assert.DoesNotContain(password, output, StringComparison.Ordinal);
    }
}
