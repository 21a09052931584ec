using System.Buffers;
using Fidamia.Core.Storage;
using Fidamia.Storage;
using Fidamia.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fidamia.UnitTests.Storage;

/// <summary>Retention on a real SQLite file and a real photo folder: which photos go, and what stays.</summary>
public sealed class PhotoRetentionTests : IDisposable
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("fidamia-retention-").FullName;
    private readonly ManualClock _clock = new();
    private readonly SqliteReportStore _store;
    private readonly FilePhotoArchive _archive;
    private readonly PhotoRetention _retention;

    public PhotoRetentionTests()
    {
        _store = SqliteReportStore.Open(Path.Combine(_folder, "fidamia.db"));
        _archive = new FilePhotoArchive(Path.Combine(_folder, "photos"), new CopyStripper(), _clock, flushToDisk: false);
        _retention = new PhotoRetention(_store, _archive, _clock, NullLogger<PhotoRetention>.Instance);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<string> ReceiveAsync(string id, byte[] photo)
    {
        var sha = await _archive.KeepAsync(photo, CancellationToken.None);
        var report = ReportStoreContractTests.Report(id) with { PhotoSha256 = sha, ReceivedAt = _clock.GetUtcNow() };
        Assert.Null(await _store.AddAsync(report, ReportStoreContractTests.Decision() with { At = report.ReceivedAt }, CancellationToken.None));
        return sha;
    }

    [Fact]
    public async Task Sweep_DeletesPhotosPastThePeriodOnly_AndTheReportsKeepTheirDecisions()
    {
        var old = await ReceiveAsync("old", [1, 2, 3]);
        var resent = await ReceiveAsync("resent-1", [4, 5, 6]);
        _clock.Advance(TimeSpan.FromDays(20));
        await ReceiveAsync("resent-2", [4, 5, 6]);
        var recent = await ReceiveAsync("recent", [7, 8, 9]);
        _clock.Advance(TimeSpan.FromDays(15));

        var deleted = await _retention.SweepAsync(Retention, CancellationToken.None);
        var report = await _store.FindAsync("old", CancellationToken.None);

        Assert.Equal(1, deleted);
        Assert.False(File.Exists(_archive.PathOf(old)));
        Assert.True(File.Exists(_archive.PathOf(resent)), "its newest report is 15 days old");
        Assert.True(File.Exists(_archive.PathOf(recent)));
        Assert.Equal(_clock.GetUtcNow(), report!.Report.PhotoDeletedAt);
        Assert.Equal("graffiti", report.Decision.LabelCode);
        Assert.Null((await _store.FindAsync("resent-1", CancellationToken.None))!.Report.PhotoDeletedAt);
        Assert.Equal(0, await _retention.SweepAsync(Retention, CancellationToken.None));
    }

    [Fact]
    public async Task Sweep_PhotoSentAgainWhileItRuns_IsKeptForTheReportBeingStored()
    {
        var sha = await ReceiveAsync("first", [1, 2, 3]);
        _clock.Advance(TimeSpan.FromDays(40));
        // The same photo arrives: kept in the archive, its report not committed yet when the sweep reads the database.
        Assert.Equal(sha, await _archive.KeepAsync(new byte[] { 1, 2, 3 }, CancellationToken.None));

        var deleted = await _retention.SweepAsync(Retention, CancellationToken.None);

        Assert.Equal(0, deleted);
        Assert.True(File.Exists(_archive.PathOf(sha)));
        Assert.Null((await _store.FindAsync("first", CancellationToken.None))!.Report.PhotoDeletedAt);
    }

    [Fact]
    public async Task Sweep_FileAlreadyGone_StillMarksTheReports()
    {
        // A sweep that deleted the file and stopped before marking the reports: the next one finishes it.
        var sha = await ReceiveAsync("interrupted", [1, 2, 3]);
        File.Delete(_archive.PathOf(sha));
        _clock.Advance(TimeSpan.FromDays(31));

        Assert.Equal(1, await _retention.SweepAsync(Retention, CancellationToken.None));
        Assert.NotNull((await _store.FindAsync("interrupted", CancellationToken.None))!.Report.PhotoDeletedAt);
    }

    [Fact]
    public async Task Keep_FileUnderTheNameCutShort_IsWrittenAgain()
    {
        // What a power cut can leave of a photo that was not flushed: its name, and fewer bytes.
        var sha = await _archive.KeepAsync(new byte[] { 1, 2, 3, 4 }, CancellationToken.None);
        await File.WriteAllBytesAsync(_archive.PathOf(sha), []);

        Assert.Equal(sha, await _archive.KeepAsync(new byte[] { 1, 2, 3, 4 }, CancellationToken.None));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, await File.ReadAllBytesAsync(_archive.PathOf(sha)));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void PathOf_AnythingButALowerCaseSha256_IsRefused(string sha) =>
        Assert.Throws<ArgumentException>(() => _archive.PathOf(sha));

    private sealed class CopyStripper : IPhotoMetadataStripper
    {
        public void Strip(ReadOnlySpan<byte> photo, IBufferWriter<byte> output) => output.Write(photo);
    }
}
