namespace Fidamia.Inference.Quantization;

/// <summary>
/// The values one tensor took over the calibration photos, kept as a histogram of their float bit patterns: the sign,
/// the exponent and the top 6 mantissa bits give 64 bins per octave (1.1 % wide) over the whole float range, so
/// percentiles need neither a range known in advance nor a second pass over the photos.
/// </summary>
internal sealed class RangeAccumulator
{
    private const int BinShift = 17;
    private const int Bins = 1 << (31 - BinShift);
    private readonly long[] _positive = new long[Bins];
    private readonly long[] _negative = new long[Bins];

    public long Count { get; private set; }

    public float Min { get; private set; } = float.PositiveInfinity;

    public float Max { get; private set; } = float.NegativeInfinity;

    /// <summary>NaN and infinities, which no range can hold; left out of every statistic.</summary>
    public long NonFinite { get; private set; }

    public void Add(ReadOnlySpan<float> values)
    {
        var min = Min;
        var max = Max;
        long nonFinite = 0;
        foreach (var value in values)
        {
            var bits = BitConverter.SingleToInt32Bits(value);
            if ((bits & 0x7F800000) == 0x7F800000)
            {
                nonFinite++;
                continue;
            }

            if (bits >= 0)
            {
                _positive[bits >> BinShift]++;
            }
            else
            {
                _negative[(bits & 0x7FFFFFFF) >> BinShift]++;
            }

            min = MathF.Min(min, value);
            max = MathF.Max(max, value);
        }

        Min = min;
        Max = max;
        NonFinite += nonFinite;
        Count += values.Length - nonFinite;
    }

    public TensorRange Range(CalibrationOptions options)
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("no finite value was seen");
        }

        var margin = (float)options.Margin;
        if (options.Method == CalibrationMethod.MinMax)
        {
            return new TensorRange(Min * margin, Max * margin);
        }

        // The k-th smallest value for the max, the k-th largest for the min: ranks counted from 1.
        var tail = (long)Math.Ceiling(Count * (options.Percentile / 100.0));
        var high = BinEdge(tail, upper: true);
        var low = BinEdge(Count - tail + 1, upper: false);
        return new TensorRange(Math.Clamp(low, Min, Max) * margin, Math.Clamp(high, Min, Max) * margin);
    }

    /// <summary>The edge of the bin holding the value of the given rank (ascending), the upper or lower edge so the range errs wide.</summary>
    private float BinEdge(long rank, bool upper)
    {
        long seen = 0;
        for (var bin = Bins - 1; bin >= 0; bin--)
        {
            seen += _negative[bin];
            if (seen >= rank)
            {
                return -Edge(upper ? bin : bin + 1);
            }
        }

        for (var bin = 0; bin < Bins; bin++)
        {
            seen += _positive[bin];
            if (seen >= rank)
            {
                return Edge(upper ? bin + 1 : bin);
            }
        }

        return Max;
    }

    private static float Edge(int bin) => bin >= Bins ? float.MaxValue : BitConverter.Int32BitsToSingle(bin << BinShift);
}
