using Fidamia.Inference.Quantization;

namespace Fidamia.UnitTests.Inference.Quantization;

public sealed class RangeAccumulatorTests
{
    [Fact]
    public void Range_MinMax_IsTheExtremesTimesTheMargin()
    {
        var accumulator = new RangeAccumulator();
        accumulator.Add([-2f, 0.5f, 3f]);
        accumulator.Add([1f, float.NaN, float.PositiveInfinity]);

        Assert.Equal(new TensorRange(-2f, 3f), accumulator.Range(new CalibrationOptions(CalibrationMethod.MinMax, Margin: 1)));
        Assert.Equal(new TensorRange(-2.5f, 3.75f), accumulator.Range(new CalibrationOptions(CalibrationMethod.MinMax, Margin: 1.25)));
        Assert.Equal(2, accumulator.NonFinite);
    }

    [Fact]
    public void Range_Percentile_CutsTheOutliersToWithinABinWidth()
    {
        var accumulator = new RangeAccumulator();
        // 100,000 values spread over [-50, 100) plus one outlier at each end.
        accumulator.Add(Enumerable.Range(0, 100_000).Select(i => -50f + (i * 0.0015f)).Append(1e4f).Append(-1e4f).ToArray());

        var range = accumulator.Range(new CalibrationOptions(CalibrationMethod.Percentile, 99.99, Margin: 1));

        // The 99.99th percentile is about 99.98 and the 0.01st about -49.98; bins are 1.1 % wide and the edge errs wide.
        Assert.InRange(range.Max, 99.9f, 101.2f);
        Assert.InRange(range.Min, -50.6f, -49.9f);
    }

    [Fact]
    public void Range_PercentileOfReluLikeValues_KeepsTheMinAtZero()
    {
        var accumulator = new RangeAccumulator();
        accumulator.Add(Enumerable.Range(0, 10_000).Select(i => i % 2 == 0 ? 0f : i / 100f).ToArray());

        var range = accumulator.Range(new CalibrationOptions(CalibrationMethod.Percentile));

        Assert.Equal(0f, range.Min);
        Assert.InRange(range.Max, 90f, 100f * 1.25f);
    }

    [Theory]
    [InlineData(-1f, 3f, false, 64)]
    [InlineData(0f, 5f, false, 0)]
    [InlineData(-1f, 3f, true, 0)]
    [InlineData(1f, 3f, false, 0)]
    [InlineData(-4f, -1f, false, 255)]
    public void ActivationGrid_Range_IncludesZeroExactly(float min, float max, bool reluFused, int zeroPoint)
    {
        var (scale, zp) = QdqBuilder.ActivationGrid(new TensorRange(min, max), reluFused);

        Assert.Equal(zeroPoint, zp);
        Assert.True(scale > 0);
    }

    [Fact]
    public void Name_Options_SaysMethodPercentileAndMargin()
    {
        Assert.Equal("percentile-99.999-x1.25", new CalibrationOptions(CalibrationMethod.Percentile).Name);
        Assert.Equal("minmax", new CalibrationOptions(CalibrationMethod.MinMax, Margin: 1).Name);
        Assert.NotNull(new CalibrationOptions(CalibrationMethod.Percentile, 40).Problem);
        Assert.NotNull(new CalibrationOptions(CalibrationMethod.MinMax, Margin: 0.5).Problem);
    }
}
