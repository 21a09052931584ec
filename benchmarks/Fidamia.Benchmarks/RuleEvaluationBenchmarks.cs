using BenchmarkDotNet.Attributes;
using Fidamia.Core.Location;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Core.Taxonomy;
using Fidamia.Routing;

namespace Fidamia.Benchmarks;

/// <summary>
/// The rule evaluation: the shipped <c>routing.yaml</c> through <see cref="RulesRouter.Route"/> for a fixed set of
/// requests (every label × contexts located in <see cref="GisBenchmarkData"/>, chosen across road owners, park
/// zones and arrondissements, channels varied), beside <see cref="NaiveRuleEvaluator"/> over the same file in the same
/// run. Setup checks both pick the same queue by the same rule for every request. Times are per request. The
/// <c>MatchOnly</c> pair measures the evaluation without the explanation each route builds.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TrendRatioConfig))]
public class RuleEvaluationBenchmarks
{
    private const int Requests = 1_008;

    private RouteRequest[] _requests = null!;
    private RulesRouter _router = null!;
    private NaiveRuleEvaluator _naive = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = GisBenchmarkData.Create();
        var taxonomy = Taxonomy.Load(Path.Combine(AppContext.BaseDirectory, "taxonomy.json"));
        _router = new RulesRouter(taxonomy, RoutingOptions.ShippedRulesPath);
        _naive = NaiveRuleEvaluator.Load(RoutingOptions.ShippedRulesPath);

        var labels = taxonomy.Labels;
        var contexts = PickContexts(data, (Requests + labels.Count - 1) / labels.Count);
        _requests = new RouteRequest[Requests];
        for (var i = 0; i < Requests; i++)
        {
            var context = contexts[i / labels.Count];
            _requests[i] = new RouteRequest(labels[i % labels.Count], context, (ReportChannel)((i + (i / labels.Count)) % 5));
        }

        Verify();
    }

    [GlobalCleanup]
    public void Cleanup() => _router.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Requests)]
    public long NaiveRules()
    {
        var sum = 0L;
        foreach (var request in _requests)
        {
            sum += _naive.Route(request).Queue.Id.Length;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Requests)]
    public long RulesRouterRoute()
    {
        var sum = 0L;
        foreach (var request in _requests)
        {
            sum += _router.Route(request).Queue.Id.Length;
        }

        return sum;
    }

    /// <summary>The naive evaluation alone: which queue, by which rule, no explanation.</summary>
    [Benchmark(OperationsPerInvoke = Requests)]
    public long NaiveMatchOnly()
    {
        var sum = 0L;
        foreach (var request in _requests)
        {
            sum += _naive.Find(request).Queue.Id.Length;
        }

        return sum;
    }

    /// <summary>
    /// The compiled rules' evaluation alone (what <c>RuleSet.Route</c> does before it explains): the first rule whose
    /// conditions match and whose queue resolves; no explanation is built.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Requests)]
    public long CompiledMatchOnly()
    {
        var sum = 0L;
        foreach (var request in _requests)
        {
            sum += CompiledMatch(request).Id.Length;
        }

        return sum;
    }

    private RoutingQueue CompiledMatch(RouteRequest request)
    {
        var rules = _router.Rules;
        var list = rules.Rules;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Matches(request) && list[i].Then.Resolve(request, rules, out _) is { } queue)
            {
                return queue;
            }
        }

        return rules.Default;
    }

    /// <summary>
    /// Located contexts, taken in turn from groups by (road owner or none, in a park, in an arrondissement), so the
    /// rare cases (a departmental road, a park in Marseille) are not drowned by the common ones.
    /// </summary>
    private static List<LocationContext> PickContexts(GisBenchmarkData data, int count)
    {
        var groups = data.Points
            .Select(p => data.Layers.Locate(p))
            .OfType<LocationContext>()
            .GroupBy(c => (Road: c.Road?.Owner ?? "none", Park: c.Zones.Any(z => z.Type == "park"), Marseille: c.Arrondissement is not null))
            .OrderBy(g => g.Key.Road, StringComparer.Ordinal).ThenBy(g => g.Key.Park).ThenBy(g => g.Key.Marseille)
            .Select(g => new Queue<LocationContext>(g))
            .ToList();
        var picked = new List<LocationContext>(count);
        while (picked.Count < count && groups.Any(g => g.Count > 0))
        {
            foreach (var group in groups.Where(g => g.Count > 0))
            {
                if (picked.Count < count)
                {
                    picked.Add(group.Dequeue());
                }
            }
        }

        return picked.Count == count
            ? picked
            : throw new InvalidOperationException($"only {picked.Count} points located, {count} contexts needed");
    }

    private void Verify()
    {
        var problems = new List<string>();
        var byRule = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var request in _requests)
        {
            var naive = _naive.Route(request);
            var compiled = _router.Route(request);
            byRule[compiled.Rule] = byRule.GetValueOrDefault(compiled.Rule) + 1;
            if (naive.Queue.Id != compiled.Queue.Id || naive.Rule != compiled.Rule
                || _naive.Find(request).Queue.Id != compiled.Queue.Id || CompiledMatch(request).Id != compiled.Queue.Id)
            {
                problems.Add($"{request.Label.Code} in {request.Context.Commune.Insee} (arr {request.Context.Arrondissement?.Insee ?? "none"}, zones {string.Join(",", request.Context.Zones.Select(z => z.Type))}, road {request.Context.Road?.Owner ?? "none"}, {request.Channel}): naive {naive.Rule} → {naive.Queue.Id} / router {compiled.Rule} → {compiled.Queue.Id}");
            }
        }

        Console.WriteLine($"// {_requests.Length} requests, by rule: {string.Join(", ", byRule.Select(r => $"{r.Key} {r.Value}"))}");
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"the naive evaluator and RulesRouter disagree on {problems.Count} request(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems.Take(30)));
        }
    }
}
