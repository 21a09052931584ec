extern alias cli;

using cli::Fidamia.Cli.Bench;

namespace Fidamia.UnitTests.Cli;

public class LatencySummaryTests
{
    [Fact]
    public void Of_OneToTen_IsNearestRankPercentiles()
    {
        // Nearest rank: p50 is the ceil(0.5 * 10) = 5th value, p95 the ceil(9.5) = 10th, p99 the ceil(9.9) = 10th.
        var summary = LatencySummary.Of([7, 3, 10, 1, 9, 2, 8, 4, 6, 5])!;

        Assert.Equal(5, summary.P50);
        Assert.Equal(10, summary.P95);
        Assert.Equal(10, summary.P99);
        Assert.Equal(10, summary.Max);
        Assert.Equal(5.5, summary.Mean, 9);
    }

    [Fact]
    public void Of_OneToHundredShuffled_IsTheValueAtEachPercent()
    {
        var values = Enumerable.Range(1, 100).Select(v => (double)v).ToArray();
        new Random(7).Shuffle(values);

        var summary = LatencySummary.Of(values)!;

        Assert.Equal((50.0, 95.0, 99.0, 100.0), (summary.P50, summary.P95, summary.P99, summary.Max));
    }

    [Fact]
    public void Percentile_SixtySamples_P95IsTheFiftySeventh()
    {
        // 95% of 60 is exactly 57; 95 * 0.01 * 60 in floating point is 57.00000000000001, whose ceiling is 58.
        var sorted = Enumerable.Range(1, 60).Select(v => v * 10.0).ToArray();

        Assert.Equal(570, LatencySummary.Percentile(sorted, 95));
        Assert.Equal(600, LatencySummary.Percentile(sorted, 99));
        Assert.Equal(300, LatencySummary.Percentile(sorted, 50));
    }

    [Fact]
    public void Of_ThreeSamples_MedianIsTheMiddleOne()
    {
        var summary = LatencySummary.Of([30.5, 10.25, 20])!;

        Assert.Equal(20, summary.P50);
        Assert.Equal(30.5, summary.P95);
        Assert.Equal(30.5, summary.Max);
    }

    [Fact]
    public void Of_OneSample_IsThatSampleEverywhere()
    {
        var summary = LatencySummary.Of([42])!;

        Assert.Equal(new LatencySummary(42, 42, 42, 42, 42), summary);
    }

    [Fact]
    public void Of_NoSample_IsNull()
    {
        Assert.Null(LatencySummary.Of([]));
    }
}
