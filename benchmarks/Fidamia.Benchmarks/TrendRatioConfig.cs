using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;

namespace Fidamia.Benchmarks;

/// <summary>Ratios as "906.00x faster" rather than "0.001": readable when the gap is two or three orders of magnitude.</summary>
public sealed class TrendRatioConfig : ManualConfig
{
    public TrendRatioConfig() => WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
}
