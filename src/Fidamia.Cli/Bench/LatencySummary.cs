namespace Fidamia.Cli.Bench;

/// <summary>Exact latency percentiles of the successful calls of one level, in milliseconds.</summary>
internal sealed record LatencySummary(double P50, double P95, double P99, double Max, double Mean)
{
    /// <summary>Null when there is no latency to summarise.</summary>
    public static LatencySummary? Of(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        Array.Sort(sorted);
        return new LatencySummary(
            Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99), sorted[^1], sorted.Average());
    }

    /// <summary>
    /// Nearest rank: the smallest sample with at least <paramref name="percent"/>% of the samples at or below it.
    /// Always an observed latency, never an interpolation, and ordered p50 &lt;= p95 &lt;= p99 &lt;= max by construction.
    /// The rank is computed in integers: in floating point 95 * 0.01 * 60 is 57.00000000000001, whose ceiling is the 58th sample.
    /// </summary>
    public static double Percentile(IReadOnlyList<double> sorted, int percent)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        var rank = (int)(((long)percent * sorted.Count + 99) / 100);
        return sorted[rank - 1];
    }
}
