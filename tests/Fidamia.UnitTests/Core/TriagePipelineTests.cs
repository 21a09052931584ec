using System.Diagnostics.Metrics;
using Fidamia.Core;
using Fidamia.Core.Context;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Duplicates;
using Fidamia.Core.Errors;
using Fidamia.Core.Fusion;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Models;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Core.Scheduling;
using Fidamia.Core.Scoring;
using Fidamia.Core.Storage;
using Fidamia.Core.Taxonomy;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public sealed class TriagePipelineTests : IDisposable
{
    private static readonly GeoPoint Marseille = new(43.2965, 5.3698);
    private readonly Taxonomy _taxonomy = TestTaxonomy.Small();
    private readonly FakeModel _model = new();
    private readonly FakeDecoder _decoder = new();
    private readonly InMemoryReportStore _store = new();
    private readonly FakeLocator _locator = new();
    private readonly List<IDisposable> _disposables = [];
    private ImageEvidence _evidence;

    public TriagePipelineTests()
    {
        _evidence = ImageEvidence.Uniform(_taxonomy.Count, "image: cold");
    }

    public void Dispose() => _disposables.ForEach(d => d.Dispose());

    private TriagePipeline Pipeline(Dictionary<string, double>? modelThresholds = null, SchedulerOptions? scheduling = null)
    {
        _model.Thresholds = modelThresholds ?? [];
        var options = Options.Create(new TriageOptions());
        var metrics = new FidamiaMetrics(new TestMeterFactory());
        var schedulerOptions = Options.Create(scheduling ?? new SchedulerOptions());
        var scheduler = new InferenceScheduler(_model, schedulerOptions, metrics, NullLogger<InferenceScheduler>.Instance);
        var scorer = new FixedScorer(() => _evidence);
        var policy = new TriagePolicy(_taxonomy, new FamilyTerritoryRouter(), options);
        var fusion = new EvidenceFusion(_taxonomy, options);
        var prior = new ConfiguredContextPrior(_taxonomy, Options.Create(new ContextPriorOptions()));
        var shadow = new Fidamia.Core.Shadow.ShadowTraffic(
            _decoder, prior, fusion, policy, metrics, TimeProvider.System, Options.Create(new Fidamia.Core.Shadow.ShadowOptions()),
            NullLogger<Fidamia.Core.Shadow.ShadowTraffic>.Instance);
        _disposables.Add(shadow);
        var runner = new PhotoModelRunner(
            _decoder, new LiveModel(new ServedModel(_model, scorer)), scheduler, new PhotoAdmission(schedulerOptions, scheduler, metrics), schedulerOptions, metrics);
        _disposables.Add(runner);
        _disposables.Add(scheduler);
        return new TriagePipeline(
            new ReportValidator(_taxonomy, TimeProvider.System),
            _locator,
            runner,
            prior,
            fusion,
            policy,
            _store,
            new HashingArchive(),
            new DuplicateFinder(new NoNearbyReports(), new DuplicatePolicy(_taxonomy, Options.Create(new DuplicateOptions()))),
            new DeclaredLabels(new NoPrototypes(), new DeclarationReliability(options), _taxonomy, Options.Create(new PrototypeOptions()), NullLogger<DeclaredLabels>.Instance),
            shadow,
            TimeProvider.System,
            metrics,
            NullLogger<TriagePipeline>.Instance);
    }

    private static TriageReport Report(string id = "r1", string? declared = "graffiti", GeoPoint? at = null) => new()
    {
        ReportId = id,
        Photo = new byte[] { 0xFF, 0xD8, 0xFF },
        Location = at ?? Marseille,
        DeclaredCategory = declared,
        Channel = ReportChannel.App,
    };

    private void ImageSays(string code, double p)
    {
        var probabilities = new double[_taxonomy.Count];
        Array.Fill(probabilities, (1 - p) / (_taxonomy.Count - 1));
        probabilities[_taxonomy.Find(code)!.Index] = p;
        _evidence = new ImageEvidence(probabilities, true, [$"image: {code}"]);
    }

    [Fact]
    public async Task TriageAsync_OneSpanUnderTheCallers_WithAChildPerStage_TheSchedulersIncluded()
    {
        var spans = new System.Collections.Concurrent.ConcurrentBag<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name is FidamiaMetrics.ActivitySourceName or "test-caller",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var callerSource = new System.Diagnostics.ActivitySource("test-caller");
        var pipeline = Pipeline();
        System.Diagnostics.ActivityTraceId trace;
        System.Diagnostics.ActivitySpanId caller;

        // The caller's span stands for the incoming request's (the host makes it from the W3C traceparent header).
        using (var incoming = callerSource.StartActivity("incoming")!)
        {
            (trace, caller) = (incoming.TraceId, incoming.SpanId);
            await pipeline.TriageAsync(Report("r-traced"), CancellationToken.None);
        }

        var ours = spans.Where(s => s.TraceId == trace && s.Source.Name == FidamiaMetrics.ActivitySourceName).ToList();
        var triage = Assert.Single(ours, s => s.OperationName == "triage");
        Assert.Equal(caller, triage.ParentSpanId);
        Assert.Equal("r-traced", triage.GetTagItem("fidamia.report_id"));
        string[] stages = ["validate", "locate", "decode", "preprocess", "queue", "infer", "score", "fuse", "route", "duplicates", "store"];
        Assert.All(stages, stage => Assert.Contains(ours, s => s.OperationName == stage));
        var ids = ours.Select(s => s.SpanId).ToHashSet();
        Assert.All(ours.Where(s => s != triage), s => Assert.Contains(s.ParentSpanId, ids));
        Assert.Equal(ours.Single(s => s.OperationName == "validate").SpanId, ours.Single(s => s.OperationName == "locate").ParentSpanId);
        Assert.All(ours.Where(s => s.OperationName is "queue" or "infer"), s => Assert.Equal(triage.SpanId, s.ParentSpanId));
    }

    [Fact]
    public async Task TriageAsync_ColdMemoryAndDeclaredCategory_GoesToReviewWithTheLikelyQueueExplained()
    {
        var decision = await Pipeline().TriageAsync(Report(), CancellationToken.None);

        Assert.Equal(TriageStatus.NeedsReview, decision.Status);
        Assert.Equal("graffiti", decision.Label?.Code);
        Assert.Equal(0.7, decision.Confidence, 9);
        Assert.Equal("revue", decision.Queue.Id);
        Assert.Contains(decision.Explanation, e => e.Contains("proprete.marseille-provence", StringComparison.Ordinal));
        Assert.Equal("graffiti", decision.Candidates[0].Code);
        Assert.Equal(decision.Candidates.OrderByDescending(c => c.Score).Select(c => c.Code), decision.Candidates.Select(c => c.Code));
    }

    [Fact]
    public async Task TriageAsync_ConfidentImageAgreeingWithDeclared_IsRoutedToTheFamilyQueueOfTheTerritory()
    {
        ImageSays("graffiti", 0.9);

        var decision = await Pipeline().TriageAsync(Report(), CancellationToken.None);

        Assert.Equal(TriageStatus.Routed, decision.Status);
        Assert.Equal("proprete.marseille-provence", decision.Queue.Id);
        Assert.True(decision.Confidence >= 0.8);
        Assert.Equal("1", decision.ModelVersion);
    }

    [Fact]
    public async Task TriageAsync_LabelThresholdFromTaxonomy_AppliesBeforeTheDefault()
    {
        // trottoir has its own threshold 0.6 in the small taxonomy: 0.7 from the declaration routes it.
        var decision = await Pipeline().TriageAsync(Report(declared: "trottoir"), CancellationToken.None);

        Assert.Equal(TriageStatus.Routed, decision.Status);
        Assert.Equal("voirie.marseille-provence", decision.Queue.Id);
    }

    [Fact]
    public async Task TriageAsync_ModelThreshold_OverridesTheTaxonomy()
    {
        var decision = await Pipeline(new() { ["trottoir"] = 0.75 }).TriageAsync(Report(declared: "trottoir"), CancellationToken.None);

        Assert.Equal(TriageStatus.NeedsReview, decision.Status);
    }

    [Fact]
    public async Task TriageAsync_ExifFarFromDeclaredPoint_IsNeverAutoRouted()
    {
        ImageSays("graffiti", 0.99);
        _decoder.ExifLocation = new GeoPoint(43.3065, 5.3698); // 1.1 km north

        var decision = await Pipeline().TriageAsync(Report(), CancellationToken.None);

        Assert.Equal(TriageStatus.NeedsReview, decision.Status);
        Assert.InRange(decision.DeclaredToExifDistanceM!.Value, 1000, 1200);
        Assert.Contains(decision.Explanation, e => e.Contains("EXIF", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TriageAsync_PointOutsideTerritory_IsInvalidLocationAndNothingIsDecoded()
    {
        var ex = await Assert.ThrowsAsync<InvalidReportException>(() =>
            Pipeline().TriageAsync(Report(at: new GeoPoint(50.87, 4.69)), CancellationToken.None));

        Assert.Equal("location", Assert.Single(ex.Violations).Field);
        Assert.Contains("outside the served territory", ex.Violations[0].Description, StringComparison.Ordinal);
        Assert.Equal(0, _decoder.Calls);
    }

    [Fact]
    public async Task TriageAsync_BadPhotoOutsideTerritoryAndUnknownCategory_ListsAllThreeAndDecodesNothing()
    {
        _decoder.PrecheckSays = new FieldViolation("photo", "is not a JPEG, PNG or WebP image");

        var ex = await Assert.ThrowsAsync<InvalidReportException>(() =>
            Pipeline().TriageAsync(Report(declared: "no_such_label", at: new GeoPoint(50.87, 4.69)), CancellationToken.None));

        Assert.Equal(["declared_category", "location", "photo"], ex.Violations.Select(v => v.Field).Order(StringComparer.Ordinal));
        Assert.Equal(0, _decoder.Calls);
    }

    [Fact]
    public async Task TriageAsync_NothingToGoOn_HasNoLabelAndGoesToReviewSayingWhy()
    {
        var decision = await Pipeline().TriageAsync(Report(declared: null), CancellationToken.None);

        Assert.Null(decision.Label);
        Assert.Equal(TriageStatus.NeedsReview, decision.Status);
        Assert.Equal("revue", decision.Queue.Id);
        Assert.Equal(Math.Round(1.0 / _taxonomy.Count, 6), decision.Confidence);
        Assert.Contains(decision.Explanation, e => e.StartsWith("decision: no label stands out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TriageAsync_DeclaredCategoryAlone_IsThatLabelAtExactlyRho()
    {
        var decision = await Pipeline().TriageAsync(Report(declared: "graffiti"), CancellationToken.None);

        Assert.Equal("graffiti", decision.Label?.Code);
        // Not 0.6999999999999998: what the caller reads is the number compared with the threshold.
        Assert.Equal("0.7", decision.Confidence.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(decision.Candidates, c => Assert.Equal(Math.Round(c.Score, 6), c.Score));
    }

    [Fact]
    public async Task TriageAsync_SameReportTwice_AnswersTheSameWithoutRunningTheModelAgain()
    {
        var pipeline = Pipeline();

        var first = await pipeline.TriageAsync(Report(), CancellationToken.None);
        var second = await pipeline.TriageAsync(Report(), CancellationToken.None);

        Assert.Equivalent(first, second, strict: true);
        Assert.Equal(1, _model.Runs);
        Assert.Equal(1, _store.Adds);
    }

    [Fact]
    public async Task TriageAsync_ReportStoredBeforeARestart_IsAnsweredFromTheStoreWithoutRunningTheModel()
    {
        var first = await Pipeline().TriageAsync(Report(), CancellationToken.None);

        // A new pipeline (a restarted service) over the same store.
        var again = await Pipeline().TriageAsync(Report(), CancellationToken.None);
        var other = await Assert.ThrowsAsync<ReportConflictException>(() => Pipeline().TriageAsync(Report(declared: null), CancellationToken.None));

        Assert.Equivalent(first, again, strict: true);
        Assert.Equal(1, _model.Runs);
        Assert.Contains("'r1'", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TriageAsync_ReportStoredWithTheEarlierSha256Fingerprint_IsStillARetryAndOtherContentAConflict()
    {
        var first = await Pipeline().TriageAsync(Report(), CancellationToken.None);
        // As a version that fingerprinted reports with SHA-256 stored it.
        _store.Replace("r1", s => s with { Report = s.Report with { Fingerprint = TriagePipeline.LegacyFingerprint(Report()) } });

        var again = await Pipeline().TriageAsync(Report(), CancellationToken.None);
        var other = await Assert.ThrowsAsync<ReportConflictException>(() => Pipeline().TriageAsync(Report(declared: null), CancellationToken.None));

        Assert.Equivalent(first, again, strict: true);
        Assert.Equal(1, _model.Runs);
        Assert.Contains("'r1'", other.Message, StringComparison.Ordinal);
        Assert.Equal(32, Assert.Single(_store.Reports).Report.Fingerprint.Length);
    }

    [Fact]
    public void Fingerprint_CoversThePhotoAndEveryField()
    {
        var report = Report();
        var photo = report.Photo.ToArray();
        photo[^3] ^= 1;
        TriageReport[] others =
        [
            report with { Photo = photo },
            report with { Location = new GeoPoint(43.2966, 5.3698, 10) },
            report with { Location = new GeoPoint(report.Location!.Value.Lat, report.Location.Value.Lon, 11) },
            report with { DeclaredCategory = "tag" },
            report with { Channel = ReportChannel.Phone },
            report with { ReportedAt = report.ReportedAt?.AddSeconds(1) ?? DateTimeOffset.UnixEpoch },
            report with { Description = "x" },
        ];

        var fingerprint = TriagePipeline.Fingerprint(report);
        Assert.Equal(16, fingerprint.Length);
        Assert.Equal(fingerprint, TriagePipeline.Fingerprint(report with { ReportId = "another-id" }));
        Assert.All(others, o => Assert.NotEqual(fingerprint, TriagePipeline.Fingerprint(o)));
        Assert.True(TriagePipeline.SameReport(TriagePipeline.LegacyFingerprint(report), fingerprint, report));
        Assert.All(others, o => Assert.False(TriagePipeline.SameReport(TriagePipeline.LegacyFingerprint(o), fingerprint, report)));
    }

    [Fact]
    public async Task TriageAsync_Decision_IsStoredWithItsQueueAndRuleBeforeTheAnswer()
    {
        var decision = await Pipeline().TriageAsync(Report(), CancellationToken.None);

        var stored = Assert.Single(_store.Reports);
        Assert.Equal(("r1", decision.Queue.Id, decision.Rule, decision.Label?.Code), (stored.Report.ReportId, stored.Decision.QueueId, stored.Decision.Rule, stored.Decision.LabelCode));
        Assert.NotNull(decision.Rule);
        Assert.Equal(DecisionSource.Model, stored.Decision.Source);
    }

    [Fact]
    public async Task GetReportAsync_UnknownId_IsNotFoundAndAStoredOneIsItsDecision()
    {
        var pipeline = Pipeline();
        var decision = await pipeline.TriageAsync(Report(), CancellationToken.None);

        Assert.Equivalent(decision, await pipeline.GetReportAsync("r1", CancellationToken.None), strict: true);
        await Assert.ThrowsAsync<NotFoundException>(() => pipeline.GetReportAsync("nope", CancellationToken.None));
        var invalid = await Assert.ThrowsAsync<InvalidReportException>(() => pipeline.GetReportAsync("bad id!", CancellationToken.None));
        Assert.Equal("report_id", Assert.Single(invalid.Violations).Field);
    }

    [Fact]
    public async Task TriageAsync_SameIdForADifferentReport_IsAConflict()
    {
        var pipeline = Pipeline();
        await pipeline.TriageAsync(Report(), CancellationToken.None);

        await Assert.ThrowsAsync<ReportConflictException>(() =>
            pipeline.TriageAsync(Report(declared: "nid_de_poule"), CancellationToken.None));
    }

    [Fact]
    public async Task TriageAsync_ConcurrentCallsWithOneId_RunThePipelineOnce()
    {
        var pipeline = Pipeline();
        _model.Gate = new ManualResetEventSlim(false);

        var first = Task.Run(() => pipeline.TriageAsync(Report(), CancellationToken.None));
        SpinWait.SpinUntil(() => _model.Entered > 0, TimeSpan.FromSeconds(10));
        var second = pipeline.TriageAsync(Report(), CancellationToken.None);
        Assert.False(second.IsCompleted);
        _model.Gate.Set();

        Assert.Same(await first, await second);
        Assert.Equal(1, _model.Runs);
    }

    [Fact]
    public async Task TriageAsync_FailedAttempt_IsForgottenSoARetryRunsAgain()
    {
        var pipeline = Pipeline();
        _decoder.Failure = new InvalidReportException("photo", "cannot be decoded");
        await Assert.ThrowsAsync<InvalidReportException>(() => pipeline.TriageAsync(Report(), CancellationToken.None));

        _decoder.Failure = null;
        var decision = await pipeline.TriageAsync(Report(), CancellationToken.None);

        Assert.Equal("r1", decision.ReportId);
        Assert.Equal(2, _decoder.Calls);
    }

    [Fact]
    public async Task TriageAsync_MorePhotosThanCapacity_RefusesTheExtraAtOnceAndLosesNoAcceptedOne()
    {
        // One decode slot, one run, no queue: two photos in flight at most.
        var pipeline = Pipeline(scheduling: new SchedulerOptions { MaxConcurrentDecodes = 1, MaxConcurrentRuns = 1, MaxQueuedRequests = 0 });
        _model.Gate = new ManualResetEventSlim(false);

        var running = pipeline.TriageAsync(Report("a"), CancellationToken.None);
        SpinWait.SpinUntil(() => _model.Entered > 0, TimeSpan.FromSeconds(10));
        var decoding = pipeline.TriageAsync(Report("b"), CancellationToken.None);
        SpinWait.SpinUntil(() => _store.Finds == 2, TimeSpan.FromSeconds(10));
        var (locates, finds) = (_locator.Calls, _store.Finds);
        var refused = await Assert.ThrowsAsync<CapacityExceededException>(() => pipeline.TriageAsync(Report("c"), CancellationToken.None));
        var refusedCost = (_locator.Calls - locates, _store.Finds - finds);
        _model.Gate.Set();

        Assert.Equal((0, 0), refusedCost); // refused before the GIS lookup and the store read
        Assert.InRange(refused.RetryAfter, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        Assert.Equal("a", (await running).ReportId);
        Assert.Equal("b", (await decoding).ReportId);
        Assert.Equal("c", (await pipeline.TriageAsync(Report("c"), CancellationToken.None)).ReportId);
    }

    [Fact]
    public async Task GetReportAsync_DuplicateOfAReportItselfAttachedLater_FollowsTheOneThatStandsAlone()
    {
        var pipeline = Pipeline();
        var routed = Fidamia.UnitTests.Storage.ReportStoreContractTests.Decision(queue: "proprete-marseille-provence");
        var attached = routed with { Status = TriageStatus.Duplicate, QueueId = "", QueueName = "" };
        await _store.AddAsync(Fidamia.UnitTests.Storage.ReportStoreContractTests.Report("a"), routed, CancellationToken.None);
        await _store.AddAsync(Fidamia.UnitTests.Storage.ReportStoreContractTests.Report("b") with { DuplicateOf = "a" }, attached, CancellationToken.None);
        await _store.AddAsync(Fidamia.UnitTests.Storage.ReportStoreContractTests.Report("c") with { DuplicateOf = "b" }, attached, CancellationToken.None);

        var c = await pipeline.GetReportAsync("c", CancellationToken.None);

        Assert.Equal((TriageStatus.Duplicate, "b"), (c.Status, c.DuplicateOf));
        Assert.Equal("proprete-marseille-provence", c.Queue.Id);
        Assert.Contains(c.Explanation, e => e.StartsWith("outcome: that of report a,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TriageAsync_CancelledBeforeInference_ThrowsAndDoesNotRunTheModel()
    {
        using var cts = new CancellationTokenSource();
        _decoder.OnDecode = cts.Cancel;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Pipeline().TriageAsync(Report(), cts.Token));

        Assert.Equal(0, _model.Runs);
    }

    private sealed class FakeLocator : ILocator
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public LocationContext? Locate(GeoPoint point)
        {
            Interlocked.Increment(ref _calls);
            return point.Lat is > 43 and < 44 ? new LocationContext(new CommuneRef("13055", "Marseille"), "Marseille Provence") : null;
        }
    }

    private sealed class FakeDecoder : IPhotoDecoder
    {
        public int Calls { get; private set; }

        public GeoPoint? ExifLocation { get; set; }

        public Exception? Failure { get; set; }

        public Action? OnDecode { get; set; }

        public FieldViolation? PrecheckSays { get; set; }

        public FieldViolation? Precheck(ReadOnlySpan<byte> photo) => PrecheckSays;

        public DecodedPhoto Decode(ReadOnlyMemory<byte> photo, TensorSpec target, CancellationToken cancellationToken)
        {
            Calls++;
            OnDecode?.Invoke();
            if (Failure is not null)
            {
                throw Failure;
            }

            return new Photo(new PhotoMetadata(4, 3, "jpeg", ExifLocation, null));
        }

        private sealed class Photo(PhotoMetadata metadata) : DecodedPhoto(metadata)
        {
            public override void WriteTensor(TensorSpec spec, Span<float> destination) => destination.Fill(0.5f);

            protected override void Dispose(bool disposing)
            {
            }
        }
    }

    private sealed class FakeModel : IImageModel
    {
        private int _runs;
        private int _entered;

        public Dictionary<string, double> Thresholds { get; set; } = [];

        public ManualResetEventSlim? Gate { get; set; }

        public int Runs => _runs;

        public int Entered => _entered;

        public ModelDescriptor Descriptor => new(
            "fake", "1", ModelKind.Embedding,
            new TensorSpec(2, 2, ColorOrder.Rgb, 1, [0, 0, 0], [1, 1, 1], ResizeMode.Stretch),
            ModelOutputKind.Embedding, 3, [], Thresholds, 1);

        public void Run(Memory<float> input, int batchSize, Span<float> output, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _entered);
            Gate?.Wait(TimeSpan.FromSeconds(30), cancellationToken);
            Interlocked.Increment(ref _runs);
            output.Fill(1);
        }
    }

    private sealed class FixedScorer(Func<ImageEvidence> evidence) : IImageScorer
    {
        public ImageEvidence Score(ReadOnlySpan<float> modelOutput) => evidence();
    }

    private sealed class HashingArchive : IPhotoArchive
    {
        public Task<string> KeepAsync(ReadOnlyMemory<byte> photo, CancellationToken cancellationToken) =>
            Task.FromResult(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(photo.Span)));

        public bool Delete(string photoSha256, DateTimeOffset keptSince) => throw new NotSupportedException();

        public Task<byte[]?> ReadAsync(string photoSha256, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}

/// <summary>The store's contract in memory, for tests of what uses it: first writer of an id wins, later ones read.</summary>
internal sealed class InMemoryReportStore : IReportStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StoredReport> _reports = new(StringComparer.Ordinal);

    private int _finds;

    public int Adds { get; private set; }

    public int Finds => Volatile.Read(ref _finds);

    public IReadOnlyCollection<StoredReport> Reports => _reports.Values.ToList();

    /// <summary>Rewrites a stored report, as an earlier version of the service might have stored it.</summary>
    public void Replace(string reportId, Func<StoredReport, StoredReport> change) => _reports[reportId] = change(_reports[reportId]);

    public Task<StoredReport?> FindAsync(string reportId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _finds);
        return Task.FromResult(_reports.TryGetValue(reportId, out var stored) ? stored : null);
    }

    public Task<StoredReport?> AddAsync(ReportRecord report, DecisionRecord decision, CancellationToken cancellationToken)
    {
        var stored = new StoredReport(report, decision);
        var existing = _reports.GetOrAdd(report.ReportId, stored);
        if (ReferenceEquals(existing, stored))
        {
            Adds++;
            return Task.FromResult<StoredReport?>(null);
        }

        return Task.FromResult<StoredReport?>(existing);
    }

    public Task<IReadOnlyList<string>> FindExpiredPhotosAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<int> MarkPhotoDeletedAsync(string photoSha256, DateTimeOffset cutoff, DateTimeOffset at, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<IReadOnlyList<ReceivedReport>> ListReceivedAsync(DateTimeOffset since, ReceivedReport? after, int max, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<long> CountReceivedAsync(DateTimeOffset since, CancellationToken cancellationToken) => throw new NotSupportedException();
}

/// <summary>A review store with nothing near any report: the pipeline's duplicate search finds nothing.</summary>
internal sealed class NoNearbyReports : IReviewStore
{
    public Task<IReadOnlyList<NearbyReport>> FindNearbyAsync(
        double lat, double lon, double radiusM, DateTimeOffset since, string? excluding, int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<NearbyReport>>([]);

    public Task<PendingPage> ListPendingAsync(PendingFilter filter, int pageSize, PendingCursor? after, DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<(ClaimOutcome Outcome, ReviewClaim? Claim)> ClaimAsync(
        string reportId, string operatorName, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<ReviewClaim?> FindClaimAsync(string reportId, DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<HumanDecisionOutcome> ApplyAsync(HumanDecision human, DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<IReadOnlyList<HumanOutcome>> ReadHumanOutcomesAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}

/// <summary>A prototype store nothing may be written to: a scorer that is no prototype memory never learns.</summary>
internal sealed class NoPrototypes : IPrototypeStore
{
    public Task<int> AddAsync(IReadOnlyCollection<StoredPrototype> examples, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<(IReadOnlyList<StoredPrototype> Examples, long Cursor)> ReadAsync(string model, long? cursor, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}
