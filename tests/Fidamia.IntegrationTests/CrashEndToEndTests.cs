using System.Collections.Concurrent;
using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Fidamia.IntegrationTests;

/// <summary>
/// The process killed (SIGKILL) in the middle of a stream of reports: every report whose answer was received is there
/// after a restart, once, with one queue item; every other one is there whole or not at all.
/// </summary>
public sealed class CrashEndToEndTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("fidamia-crash-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    [SharedDataFact]
    public Task SigkillDuringTriageStream_OnSqlite_LosesNoAnsweredReportAndLeavesNoHalfReport() =>
        KillAndCheckAsync([], sql => Task.FromResult(SqliteColumn(sql)));

    [PostGis.PostGisSharedDataFact]
    public async Task SigkillDuringTriageStream_OnPostgres_LosesNoAnsweredReportAndLeavesNoHalfReport()
    {
        await using var schema = await PostGis.PostgresTestSchema.CreateAsync();
        await KillAndCheckAsync(["--Storage:Provider=postgres", $"--Storage:ConnectionString={schema.ConnectionString}"], schema.ColumnAsync);
    }

    private Task<ServerProcess> StartAsync(string[] storage) =>
        // The stream sends a few photos again and again at one point: each report must stand on its own, with its own item.
        ServerProcess.StartAsync([$"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", $"--DataDirectory={_data}", "--Duplicates:Enabled=false", .. storage]);

    private async Task KillAndCheckAsync(string[] storage, Func<string, Task<List<string>>> column)
    {
        var photos = new[] { "graf1.png", "brick.png", "grass.png", "building.jpg" }.Select(TestPhotos.Shared).ToArray();
        var answered = new ConcurrentDictionary<string, TriageResponse>(StringComparer.Ordinal);
        var sent = new ConcurrentBag<string>();
        var server = await StartAsync(storage);
        using var enough = new CancellationTokenSource();

        async Task CallerAsync(int caller)
        {
            for (var i = 0; !enough.IsCancellationRequested && i < 200; i++)
            {
                var request = Requests.Report(photos[(caller + i) % photos.Length], declared: "graffiti");
                sent.Add(request.ReportId);
                try
                {
                    answered[request.ReportId] = await server.Client.TriageAsync(request);
                    if (answered.Count >= 12)
                    {
                        await enough.CancelAsync();
                    }
                }
                catch (RpcException)
                {
                    return; // the server is gone
                }
            }
        }

        var callers = Enumerable.Range(0, 4).Select(c => Task.Run(() => CallerAsync(c))).ToArray();
        await enough.Token.WaitHandle.WaitOneAsync(TimeSpan.FromMinutes(3));
        // SIGKILL while the callers still have calls in flight.
        await server.DisposeAsync();
        await Task.WhenAll(callers);

        await using var restarted = await StartAsync(storage);
        foreach (var (id, response) in answered)
        {
            var stored = await restarted.Client.GetReportAsync(new GetReportRequest { ReportId = id });
            Assert.Equal(response, stored);
        }

        var ids = await column("SELECT report_id FROM reports");
        Assert.Superset(answered.Keys.ToHashSet(StringComparer.Ordinal), ids.ToHashSet(StringComparer.Ordinal));
        Assert.Subset(sent.ToHashSet(StringComparer.Ordinal), ids.ToHashSet(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        // Whole or absent: every stored report has exactly one decision and one queue item, and nothing else exists.
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await column("SELECT report_id FROM decisions")).Order(StringComparer.Ordinal));
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await column("SELECT report_id FROM queue_items")).Order(StringComparer.Ordinal));
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await column("SELECT report_id FROM audit")).Order(StringComparer.Ordinal));
    }

    private List<string> SqliteColumn(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "fidamia.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}

internal static class WaitHandleExtensions
{
    public static Task<bool> WaitOneAsync(this WaitHandle handle, TimeSpan timeout) => Task.Run(() => handle.WaitOne(timeout));
}
