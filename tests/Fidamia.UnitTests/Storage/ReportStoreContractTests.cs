using Fidamia.Core.Location;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Storage;

namespace Fidamia.UnitTests.Storage;

/// <summary>What every report store must do alike, whichever database keeps the reports.</summary>
public abstract class ReportStoreContractTests
{
    protected abstract IReportStore Store { get; }

    internal static ReportRecord Report(string id, byte fingerprint = 1) => new()
    {
        ReportId = id,
        Fingerprint = [fingerprint, 2, 3],
        ReceivedAt = new DateTimeOffset(2026, 11, 30, 9, 15, 0, TimeSpan.Zero),
        Lat = 43.2965,
        Lon = 5.3698,
        AccuracyM = 12.5,
        DeclaredCategory = "graffiti",
        Description = "tag sur le mur de l'école",
        Channel = ReportChannel.Phone,
        ReportedAt = new DateTimeOffset(2026, 11, 30, 10, 14, 0, TimeSpan.FromHours(1)),
        PhotoSha256 = new string('a', 64),
        PhotoFormat = "jpeg",
        PhotoWidth = 4000,
        PhotoHeight = 3000,
        ExifLat = 43.29651,
        ExifLon = 5.36981,
        TakenAt = new DateTimeOffset(2026, 11, 29, 18, 0, 0, TimeSpan.Zero),
        PhotoOrientation = 6,
    };

    internal static DecisionRecord Decision(string? label = "graffiti", string queue = "proprete-marseille-provence") => new()
    {
        Source = DecisionSource.Model,
        Actor = "resnet18/1",
        At = new DateTimeOffset(2026, 11, 30, 9, 15, 1, TimeSpan.Zero),
        Status = TriageStatus.Routed,
        LabelCode = label,
        Confidence = 0.912345,
        Candidates = [new LabelScore("graffiti", 0.912345), new LabelScore("salissure", 0.05)],
        QueueId = queue,
        QueueName = "Propreté Marseille Provence",
        Rule = "famille-territoire",
        ModelName = "resnet18",
        ModelVersion = "1",
        Context = new LocationContext(new CommuneRef("13055", "Marseille"), "Marseille Provence")
        {
            Arrondissement = new CommuneRef("13201", "Marseille 1er Arrondissement"),
            Zones = [new ZoneRef("zones", "p1", "park", "Parc Borély")],
            Road = new RoadRef("roads", "A55", "Autoroute du Littoral", "etat", 12.5),
            NearBoundaryM = 8,
            Matches = ["communes: 13055 Marseille"],
        },
        DeclaredToExifDistanceM = 1.4,
        Explanation = ["image: closest to 'graffiti'", "decision: 'graffiti' at 0.91 >= threshold 0.80"],
    };

    [ContractFact]
    public async Task Find_AfterAdd_ReturnsEveryFieldAsStored()
    {
        var report = Report("r-1");
        var decision = Decision();

        Assert.Null(await Store.AddAsync(report, decision, CancellationToken.None));
        var stored = await Store.FindAsync("r-1", CancellationToken.None);

        Assert.NotNull(stored);
        Assert.Equal(report with { Fingerprint = [] }, stored.Report with { Fingerprint = [] });
        Assert.Equal(report.Fingerprint, stored.Report.Fingerprint);
        Assert.Equal(report.ReportedAt, stored.Report.ReportedAt);
        Assert.Equivalent(decision, stored.Decision, strict: true);
        Assert.Equal(decision.At, stored.Decision.At);
    }

    [ContractFact]
    public async Task Add_NoLabel_IsStoredAsNone()
    {
        Assert.Null(await Store.AddAsync(Report("r-none"), Decision(label: null, queue: "revue") with { Status = TriageStatus.NeedsReview }, CancellationToken.None));

        var stored = await Store.FindAsync("r-none", CancellationToken.None);

        Assert.Null(stored!.Decision.LabelCode);
        Assert.Equal(TriageStatus.NeedsReview, stored.Decision.Status);
    }

    [ContractFact]
    public async Task ListReceived_PagesInTheOrderReceived_TiesById_FromSince()
    {
        var start = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
        (string Id, int Minutes)[] reports = [("c", 10), ("a", 10), ("b", 5), ("old", -60), ("d", 20)];
        foreach (var (id, minutes) in reports)
        {
            await Store.AddAsync(Report($"rx-{id}") with { ReceivedAt = start.AddMinutes(minutes) }, Decision(), CancellationToken.None);
        }

        var first = await Store.ListReceivedAsync(start, null, 2, CancellationToken.None);
        var second = await Store.ListReceivedAsync(start, first[^1], 2, CancellationToken.None);
        var third = await Store.ListReceivedAsync(start, second[^1], 2, CancellationToken.None);
        var count = await Store.CountReceivedAsync(start, CancellationToken.None);

        Assert.Equal(["rx-b", "rx-a"], first.Select(r => r.ReportId));
        Assert.Equal(["rx-c", "rx-d"], second.Select(r => r.ReportId));
        Assert.Empty(third);
        Assert.Equal(start.AddMinutes(5), first[0].ReceivedAt);
        Assert.Equal(4, count);
    }

    [ContractFact]
    public async Task Find_UnknownId_IsNull() =>
        Assert.Null(await Store.FindAsync("never-stored", CancellationToken.None));

    [ContractFact]
    public async Task Add_IdTaken_WritesNothingAndReturnsWhatIsStored()
    {
        Assert.Null(await Store.AddAsync(Report("r-2", fingerprint: 1), Decision(), CancellationToken.None));

        var existing = await Store.AddAsync(Report("r-2", fingerprint: 9), Decision(queue: "revue"), CancellationToken.None);

        Assert.NotNull(existing);
        Assert.Equal(1, existing.Report.Fingerprint[0]);
        Assert.Equal("proprete-marseille-provence", (await Store.FindAsync("r-2", CancellationToken.None))!.Decision.QueueId);
    }

    [ContractFact]
    public async Task Add_SameIdConcurrently_ExactlyOneWins()
    {
        var attempts = Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => Store.AddAsync(Report("r-race", fingerprint: (byte)i), Decision(), CancellationToken.None)))
            .ToArray();

        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r is null);
        var winner = (await Store.FindAsync("r-race", CancellationToken.None))!.Report.Fingerprint[0];
        Assert.All(results.OfType<StoredReport>(), r => Assert.Equal(winner, r.Report.Fingerprint[0]));
    }

    [ContractFact]
    public async Task ExpiredPhotos_AreThoseWhoseEveryReportIsPastTheCutoff_AndMarkingKeepsTheDecision()
    {
        var start = new DateTimeOffset(2026, 1, 1, 8, 0, 0, TimeSpan.Zero);
        var cutoff = start.AddDays(10);
        static string Sha(char c) => new(c, 64);
        await Store.AddAsync(Report("x-old") with { PhotoSha256 = Sha('1'), ReceivedAt = start }, Decision(), CancellationToken.None);
        await Store.AddAsync(Report("x-old-2") with { PhotoSha256 = Sha('1'), ReceivedAt = start.AddDays(1) }, Decision(), CancellationToken.None);
        await Store.AddAsync(Report("x-shared-old") with { PhotoSha256 = Sha('2'), ReceivedAt = start }, Decision(), CancellationToken.None);
        await Store.AddAsync(Report("x-shared-new") with { PhotoSha256 = Sha('2'), ReceivedAt = start.AddDays(20) }, Decision(), CancellationToken.None);
        await Store.AddAsync(Report("x-recent") with { PhotoSha256 = Sha('3'), ReceivedAt = start.AddDays(20) }, Decision(), CancellationToken.None);

        var expired = await Store.FindExpiredPhotosAsync(cutoff, 100, CancellationToken.None);
        var deletedAt = cutoff.AddHours(1);
        var marked = await Store.MarkPhotoDeletedAsync(Sha('1'), cutoff, deletedAt, CancellationToken.None);
        var old = await Store.FindAsync("x-old", CancellationToken.None);
        var shared = await Store.FindAsync("x-shared-old", CancellationToken.None);

        Assert.Equal([Sha('1')], expired);
        Assert.Equal(2, marked);
        Assert.Equal(deletedAt, old!.Report.PhotoDeletedAt);
        Assert.Equivalent(Decision(), old.Decision, strict: true);
        Assert.Null(shared!.Report.PhotoDeletedAt);
        Assert.Empty(await Store.FindExpiredPhotosAsync(cutoff, 100, CancellationToken.None));
        Assert.Equal(0, await Store.MarkPhotoDeletedAsync(Sha('1'), cutoff, deletedAt, CancellationToken.None));
    }
}
