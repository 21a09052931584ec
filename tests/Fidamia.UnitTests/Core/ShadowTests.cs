using Fidamia.Core;
using Fidamia.Core.Context;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Fusion;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Models;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Core.Scoring;
using Fidamia.Core.Shadow;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public sealed class ShadowTests : IDisposable
{
    private static readonly GeoPoint Marseille = new(43.2965, 5.3698);
    private static readonly LocationContext Context = new(new CommuneRef("13055", "Marseille"), "Marseille Provence");
    private readonly Fidamia.Core.Taxonomy.Taxonomy _taxonomy = TestTaxonomy.Small();
    private readonly TestMeterFactory _meters = new();
    private readonly GatedDecoder _decoder = new();
    private readonly ShadowTraffic _shadow;

    public ShadowTests()
    {
        var options = Options.Create(new TriageOptions());
        _shadow = new ShadowTraffic(
            _decoder, new ConfiguredContextPrior(_taxonomy, Options.Create(new ContextPriorOptions())), new EvidenceFusion(_taxonomy, options),
            new TriagePolicy(_taxonomy, new FamilyTerritoryRouter(), options), new FidamiaMetrics(_meters), TimeProvider.System,
            Options.Create(new ShadowOptions { QueueCapacity = 2 }), NullLogger<ShadowTraffic>.Instance);
    }

    public void Dispose()
    {
        _decoder.Gate.Set();
        _shadow.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public void Comparison_CountsAgreementConfusionAndEachModelAgainstOperators()
    {
        var comparison = new ShadowComparison();
        comparison.Record("a", "graffiti", "graffiti");
        comparison.Record("b", "graffiti", "tag");
        comparison.Record("c", "nid_de_poule", "nid_de_poule");
        comparison.Record("d", null, "graffiti");

        var resolvedB = comparison.Resolve("b", "tag");
        var resolvedAgain = comparison.Resolve("b", "tag");
        var resolvedUnknown = comparison.Resolve("z", "tag");
        comparison.Resolve("a", "graffiti");
        var counts = comparison.Snapshot();

        Assert.True(resolvedB);
        Assert.False(resolvedAgain);
        Assert.False(resolvedUnknown);
        Assert.Equal((4L, 2L), (counts.Compared, counts.Agreed));
        Assert.Equal(0.5, counts.Agreement);
        Assert.Equal((2L, 1L, 2L), (counts.Resolved, counts.LiveRight, counts.CandidateRight));
        var graffiti = counts.Labels.Single(l => l.Label == "graffiti");
        Assert.Equal((2L, 1L, 1L, 1L, 1L), (graffiti.Compared, graffiti.Agreed, graffiti.Resolved, graffiti.LiveRight, graffiti.CandidateRight));
        var tag = counts.Labels.Single(l => l.Label == "tag");
        Assert.Equal((0L, 1L, 0L, 1L), (tag.Compared, tag.Resolved, tag.LiveRight, tag.CandidateRight));
        Assert.Equal(1, counts.Confusion[("graffiti", "tag")]);
        Assert.Equal(1, counts.Confusion[(ShadowComparison.NoLabel, "graffiti")]);
    }

    [Fact]
    public void Comparison_RemembersTheLastReportsOnly()
    {
        var comparison = new ShadowComparison(remember: 2);
        comparison.Record("a", "graffiti", "graffiti");
        comparison.Record("b", "graffiti", "graffiti");
        comparison.Record("c", "graffiti", "graffiti");

        Assert.False(comparison.Resolve("a", "graffiti"));
        Assert.True(comparison.Resolve("c", "graffiti"));
        Assert.Equal(3, comparison.Snapshot().Compared);
    }

    [Fact]
    public async Task Offer_CandidateRunsOffThePath_ItsLabelsComparedWithTheLiveOnes()
    {
        _decoder.Gate.Set();
        var candidate = Candidate("graffiti");
        _shadow.Start(candidate, 1.0);

        foreach (var (id, live) in new[] { ("r1", "graffiti"), ("r2", "graffiti"), ("r3", "nid_de_poule") })
        {
            _shadow.Offer(Report(id), Context, Marseille, live);
            await WaitForAsync(() => _shadow.Status!.Counts.Compared == int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture));
        }

        _shadow.OnHumanLabel("r3", "graffiti");
        var status = _shadow.Status!;

        Assert.Equal(3, status.Sampled);
        Assert.Equal(0, status.Dropped);
        Assert.Equal(2.0 / 3, status.Counts.Agreement!.Value, 9);
        Assert.Equal(1, status.Counts.Confusion[("nid_de_poule", "graffiti")]);
        Assert.Equal((1L, 0L, 1L), (status.Counts.Resolved, status.Counts.LiveRight, status.Counts.CandidateRight));
        Assert.Equal(3, ((CountingModel)candidate.Model).Runs);
    }

    [Fact]
    public async Task Offer_QueueFull_DropsAndCounts_NeverWaits()
    {
        _shadow.Start(Candidate("graffiti"), 1.0);

        // The worker takes the first sample and stays in the decoder; two more fill the queue; the rest are dropped.
        _shadow.Offer(Report("r0"), Context, Marseille, "graffiti");
        await WaitForAsync(() => _decoder.Entered == 1);
        for (var i = 1; i <= 5; i++)
        {
            _shadow.Offer(Report($"r{i}"), Context, Marseille, "graffiti");
        }

        var status = _shadow.Status!;
        Assert.Equal(3, status.Sampled);
        Assert.Equal(3, status.Dropped);
        _decoder.Gate.Set();
        await WaitForAsync(() => _shadow.Status!.Counts.Compared == 3);
    }

    [Fact]
    public async Task Offer_KeepsACopyOfThePhoto_TheCallersMemoryIsOnlyLent()
    {
        _shadow.Start(Candidate("graffiti"), 1.0);
        var photo = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 };

        _shadow.Offer(Report("r1") with { Photo = photo }, Context, Marseille, "graffiti");
        photo.AsSpan().Clear(); // the call ended: its pooled buffer goes to another request
        _decoder.Gate.Set();
        await WaitForAsync(() => _shadow.Status!.Counts.Compared == 1);

        Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, Assert.Single(_decoder.Seen));
    }

    [Fact]
    public void Offer_NoShadowOrAfterStop_DoesNothing()
    {
        _decoder.Gate.Set();
        _shadow.Offer(Report("r1"), Context, Marseille, "graffiti");
        var candidate = Candidate("graffiti");
        _shadow.Start(candidate, 1.0);

        var stopped = _shadow.Stop();
        _shadow.Offer(Report("r2"), Context, Marseille, "graffiti");

        Assert.Same(candidate, stopped);
        Assert.Null(_shadow.Status);
        Assert.Equal(0, _decoder.Entered);
    }

    private ServedModel Candidate(string label)
    {
        var probabilities = new double[_taxonomy.Count];
        probabilities[_taxonomy.Find(label)!.Index] = 1;
        return new ServedModel(new CountingModel(), new FixedScorer(new ImageEvidence(probabilities, Informative: true, ["fixed"])));
    }

    private static TriageReport Report(string id) => new()
    {
        ReportId = id, Photo = new byte[] { 0xFF, 0xD8, 0xFF }, Location = Marseille, Channel = ReportChannel.App,
    };

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come within 10 s");
            await Task.Delay(10);
        }
    }

    private sealed class FixedScorer(ImageEvidence evidence) : IImageScorer
    {
        public ImageEvidence Score(ReadOnlySpan<float> modelOutput) => evidence;
    }

    private sealed class CountingModel : IImageModel
    {
        private int _runs;

        public int Runs => _runs;

        public ModelDescriptor Descriptor { get; } = new(
            "candidate", "2", ModelKind.Embedding, new TensorSpec(2, 2, ColorOrder.Rgb, 1, [0, 0, 0], [1, 1, 1], ResizeMode.Stretch),
            ModelOutputKind.Embedding, 4, [], new Dictionary<string, double>(), 1);

        public void Run(Memory<float> input, int batchSize, Span<float> output, CancellationToken cancellationToken) => Interlocked.Increment(ref _runs);
    }

    private sealed class GatedDecoder : IPhotoDecoder
    {
        private int _entered;

        public ManualResetEventSlim Gate { get; } = new(false);

        public int Entered => Volatile.Read(ref _entered);

        /// <summary>The photos' bytes as the decoder read them, once let through.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<byte[]> Seen { get; } = new();

        public DecodedPhoto Decode(ReadOnlyMemory<byte> photo, TensorSpec target, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _entered);
            Gate.Wait(TimeSpan.FromSeconds(30), cancellationToken);
            Seen.Enqueue(photo.ToArray());
            return new Photo(new PhotoMetadata(4, 3, "jpeg", null, null));
        }

        private sealed class Photo(PhotoMetadata metadata) : DecodedPhoto(metadata)
        {
            public override void WriteTensor(TensorSpec spec, Span<float> destination) => destination.Fill(0.5f);

            protected override void Dispose(bool disposing)
            {
            }
        }
    }
}
