using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;

namespace Fidamia.IntegrationTests;

/// <summary>Every accepted report is stored before it is answered, and the store answers for it after a restart.</summary>
public sealed class StorageEndToEndTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("fidamia-store-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private Task<ServerProcess> StartAsync(params string[] settings) =>
        ServerProcess.StartAsync([$"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", $"--DataDirectory={_data}", .. settings]);

    [SharedDataFact]
    public async Task Triage_ThenRestart_GetReportAndARetryAnswerFromTheStoreAndAnotherReportUnderTheIdConflicts()
    {
        var request = Requests.Report(TestPhotos.Shared("leuvenA.jpg"), declared: "trottoir");
        TriageResponse first;
        await using (var server = await StartAsync())
        {
            first = await server.Client.TriageAsync(request);
        }

        await using var restarted = await StartAsync();
        var followed = await restarted.Client.GetReportAsync(new GetReportRequest { ReportId = request.ReportId });
        var retried = await restarted.Client.TriageAsync(request);
        var other = request.Clone();
        other.DeclaredCategory = "graffiti";
        var conflict = await Assert.ThrowsAsync<RpcException>(() => restarted.Client.TriageAsync(other).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => restarted.Client.GetReportAsync(new GetReportRequest { ReportId = "never-sent" }).ResponseAsync);

        Assert.Equal(first, followed);
        Assert.Equal(first, retried);
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
        Assert.Contains(request.ReportId, conflict.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(1L, Scalar("SELECT COUNT(*) FROM reports"));
        Assert.Equal(1L, Scalar("SELECT COUNT(*) FROM decisions"));
        Assert.Equal(1L, Scalar($"SELECT COUNT(*) FROM queue_items WHERE queue_id = '{first.Queue.Id}'"));
    }

    [SharedDataFact]
    public async Task Triage_PhotoWithExifGps_IsStoredOnceWithoutItsMetadata()
    {
        var photo = TestPhotos.Shared("leuvenA.jpg");
        await using (var server = await StartAsync())
        {
            await server.Client.TriageAsync(Requests.Report(photo));
            await server.Client.TriageAsync(Requests.Report(photo));
        }

        var sha = (string)Scalar("SELECT DISTINCT photo_sha256 FROM reports")!;
        var stored = Directory.GetFiles(Path.Combine(_data, "photos"), "*", SearchOption.AllDirectories);
        var file = Assert.Single(stored);
        Assert.Equal(sha, Path.GetFileNameWithoutExtension(file));
        Assert.Equal(2L, Scalar($"SELECT COUNT(*) FROM reports WHERE photo_sha256 = '{sha}'"));
        // Read back with a decoder that reads metadata: no EXIF (GPS) left in the file; the position is a database field.
        using var stream = File.OpenRead(file);
        var info = Image.Identify(new Configuration(new JpegConfigurationModule()), stream);
        Assert.NotNull(info);
        Assert.Null(info.Metadata.ExifProfile);
        Assert.NotNull(Scalar("SELECT exif_lat FROM reports LIMIT 1"));
    }

    [SharedDataFact]
    public async Task Retention_DeletesThePhotosOfOldReportsAtStart_AndTheyAreStillFollowed()
    {
        var old = Requests.Report(TestPhotos.Shared("leuvenA.jpg"));
        var recent = Requests.Report(TestPhotos.Shared("building.jpg"));
        TriageResponse answered;
        await using (var server = await StartAsync())
        {
            answered = await server.Client.TriageAsync(old);
            await server.Client.TriageAsync(recent);
        }

        // The first report and its photo were received 40 days ago, as far as the database and the folder know.
        var fortyDaysAgo = DateTimeOffset.UtcNow.AddDays(-40);
        Execute($"UPDATE reports SET received_at = '{fortyDaysAgo:O}' WHERE report_id = '{old.ReportId}'");
        var oldPhoto = PhotoFile(old.ReportId);
        var recentPhoto = PhotoFile(recent.ReportId);
        File.SetLastWriteTimeUtc(oldPhoto, fortyDaysAgo.UtcDateTime);

        await using var restarted = await StartAsync("--Storage:PhotoRetentionDays=30");
        var gone = SpinWait.SpinUntil(() => !File.Exists(oldPhoto), TimeSpan.FromSeconds(30));
        var followed = await restarted.Client.GetReportAsync(new GetReportRequest { ReportId = old.ReportId });

        Assert.True(gone, "the sweep at start deletes the photo of the 40-day-old report");
        Assert.True(File.Exists(recentPhoto));
        Assert.Equal(answered, followed);
        Assert.NotNull(Scalar($"SELECT photo_deleted_at FROM reports WHERE report_id = '{old.ReportId}'"));
        Assert.Equal(1L, Scalar($"SELECT COUNT(*) FROM audit WHERE report_id = '{old.ReportId}' AND action = 'photo_deleted'"));
    }

    private string PhotoFile(string reportId)
    {
        var sha = (string)Scalar($"SELECT photo_sha256 FROM reports WHERE report_id = '{reportId}'")!;
        return Path.Combine(_data, "photos", sha[..2], sha + ".bin");
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "fidamia.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "fidamia.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
