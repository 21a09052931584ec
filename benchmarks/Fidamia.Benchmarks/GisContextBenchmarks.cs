using BenchmarkDotNet.Attributes;
using Fidamia.Core.Geo;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Core.Taxonomy;
using Fidamia.Gis;
using Fidamia.Routing;

namespace Fidamia.Benchmarks;

/// <summary>
/// The context lookup: the 92 communes, 16 arrondissements, 1,000 generated zones and 20,000 generated road segments
/// of <see cref="GisBenchmarkData"/>, looked up for 1,000 fixed points, by <see cref="LayerSet.Locate"/> (STRtree
/// and prepared geometries) beside a brute-force scan over the same features in the same run. Setup checks that
/// both give the same commune, arrondissement, zones, road and boundary distance for every point: a comparison of
/// different answers would measure nothing. Times are per lookup (OperationsPerInvoke = the number of points).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TrendRatioConfig))]
public class GisContextBenchmarks
{
    private const int Points = GisBenchmarkData.PointCount;

    private GeoPoint[] _points = null!;
    private LayerSet _layers = null!;
    private NaiveScanLocator _naive = null!;
    private NaiveScanLocator _envelopeFirst = null!;
    private RulesRouter _router = null!;
    private RouteRequestParts[] _reports = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = GisBenchmarkData.Create();
        _points = data.Points;
        _layers = data.Layers;
        _naive = new NaiveScanLocator(data, envelopeFirst: false);
        _envelopeFirst = new NaiveScanLocator(data, envelopeFirst: true);
        Verify();

        var taxonomy = Taxonomy.Load(Path.Combine(AppContext.BaseDirectory, "taxonomy.json"));
        _router = new RulesRouter(taxonomy, RoutingOptions.ShippedRulesPath);
        _reports = [.. Enumerable.Range(0, Points).Select(i => new RouteRequestParts(taxonomy.Labels[i % taxonomy.Count], (ReportChannel)(i % 5)))];
    }

    [GlobalCleanup]
    public void Cleanup() => _router.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Points)]
    public long NaiveScan()
    {
        var sum = 0L;
        foreach (var point in _points)
        {
            sum += _naive.Locate(point)?.Checksum() ?? 1;
        }

        return sum;
    }

    /// <summary>Still a linear scan over every feature, but skipping by envelope the distances that cannot be in range.</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public long ScanEnvelopeFirst()
    {
        var sum = 0L;
        foreach (var point in _points)
        {
            sum += _envelopeFirst.Locate(point)?.Checksum() ?? 1;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Points)]
    public long IndexedLocate()
    {
        var sum = 0L;
        foreach (var point in _points)
        {
            sum += _layers.Locate(point) is { } c
                ? ContextAnswer.Checksum(c.Commune.Insee, c.Arrondissement is not null, c.Zones.Count, c.Road is not null, c.NearBoundaryM is not null)
                : 1;
        }

        return sum;
    }

    /// <summary>A report's whole placing: the lookup, then the shipped rules (labels and channels varied per point).</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public long IndexedLocateAndRoute()
    {
        var sum = 0L;
        for (var i = 0; i < _points.Length; i++)
        {
            if (_layers.Locate(_points[i]) is { } context)
            {
                var report = _reports[i];
                sum += _router.Route(new RouteRequest(report.Label, context, report.Channel)).Queue.Id.Length;
            }
            else
            {
                sum++;
            }
        }

        return sum;
    }

    private void Verify()
    {
        var problems = new List<string>();
        long naiveSum = 0, envelopeSum = 0, indexedSum = 0;
        int located = 0, inArrondissement = 0, inZone = 0, nearRoad = 0, nearBoundary = 0;
        for (var i = 0; i < _points.Length; i++)
        {
            var naive = _naive.Locate(_points[i]);
            var envelope = _envelopeFirst.Locate(_points[i]);
            var indexed = ContextAnswer.Of(_layers.Locate(_points[i]));
            naiveSum += naive?.Checksum() ?? 1;
            envelopeSum += envelope?.Checksum() ?? 1;
            indexedSum += indexed?.Checksum() ?? 1;
            if (ContextAnswer.Compare(naive, indexed) is { } difference)
            {
                problems.Add($"point #{i} ({_points[i]}): naive / indexed: {difference}");
            }

            if (ContextAnswer.Compare(naive, envelope) is { } envelopeDifference)
            {
                problems.Add($"point #{i} ({_points[i]}): naive / envelope-first scan: {envelopeDifference}");
            }

            if (indexed is not null)
            {
                located++;
                inArrondissement += indexed.Arrondissement is null ? 0 : 1;
                inZone += indexed.Zones.Length > 0 ? 1 : 0;
                nearRoad += indexed.Road is null ? 0 : 1;
                nearBoundary += indexed.NearBoundaryM is null ? 0 : 1;
            }
        }

        Console.WriteLine($"// {_points.Length} points: {located} in a commune ({inArrondissement} in an arrondissement, {inZone} in a zone, {nearRoad} near a road, {nearBoundary} near a boundary), {_points.Length - located} outside");
        Console.WriteLine($"// checksums: naive {naiveSum}, envelope-first {envelopeSum}, indexed {indexedSum}");
        if (problems.Count > 0 || naiveSum != indexedSum || envelopeSum != indexedSum)
        {
            throw new InvalidOperationException(
                $"the naive scan and LayerSet.Locate disagree on {problems.Count} point(s) (checksums naive {naiveSum}, envelope-first {envelopeSum}, indexed {indexedSum}):{Environment.NewLine}  "
                + string.Join(Environment.NewLine + "  ", problems.Take(30)));
        }
    }

    private sealed record RouteRequestParts(TaxonomyLabel Label, ReportChannel Channel);
}
