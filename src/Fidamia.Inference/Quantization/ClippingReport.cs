namespace Fidamia.Inference.Quantization;

/// <summary>How one tensor's values on unseen photos fit the grid its calibrated range gave.</summary>
/// <param name="Tensor">The tensor's name in the folded graph.</param>
/// <param name="GridMin">The grid's lowest value (the calibrated min, widened to 0, or 0 where a Relu was dropped).</param>
/// <param name="GridMax">The grid's highest value.</param>
/// <param name="SeenMin">The smallest value seen.</param>
/// <param name="SeenMax">The largest value seen.</param>
/// <param name="ClippedFraction">The fraction of the values that fell outside the grid (and were clamped).</param>
/// <param name="Ratio">How far the worst side overshot: seen / grid edge on that side (1 when nothing was clipped).</param>
public sealed record TensorClipping(string Tensor, float GridMin, float GridMax, float SeenMin, float SeenMax, double ClippedFraction, double Ratio)
{
    public bool Clipped => ClippedFraction > 0;
}

/// <summary>Clipping of every calibrated tensor over a set of photos (typically the held-out ones).</summary>
public sealed record ClippingReport(int Photos, IReadOnlyList<TensorClipping> Tensors)
{
    public int ClippedTensors => Tensors.Count(t => t.Clipped);

    public TensorClipping? Worst => Tensors.Where(t => t.Clipped).MaxBy(t => t.Ratio);
}

internal sealed class ClippingMeter(TensorRange range, bool reluFused)
{
    private readonly float _low = reluFused ? 0f : MathF.Min(range.Min, 0f);
    private readonly float _high = MathF.Max(range.Max, 0f);
    private float _min = float.PositiveInfinity;
    private float _max = float.NegativeInfinity;
    private long _count;
    private long _clipped;

    public void Add(ReadOnlySpan<float> values)
    {
        foreach (var value in values)
        {
            _min = MathF.Min(_min, value);
            _max = MathF.Max(_max, value);
            if (value > _high || value < _low)
            {
                _clipped++;
            }
        }

        _count += values.Length;
    }

    public TensorClipping Result(string tensor)
    {
        var ratio = 1.0;
        if (_max > _high)
        {
            // A grid edge at 0 has no ratio to speak of: measure the overshoot against the grid's width instead.
            ratio = Math.Max(ratio, _high > 0 ? _max / (double)_high : (_max - _low) / (double)(_high - _low));
        }

        if (_min < _low)
        {
            ratio = Math.Max(ratio, _low < 0 ? _min / (double)_low : (_high - _min) / (double)(_high - _low));
        }

        return new TensorClipping(tensor, _low, _high, _min, _max, _count == 0 ? 0 : _clipped / (double)_count, ratio);
    }
}
