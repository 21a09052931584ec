using Fidamia.Core.Routing;
using YamlDotNet.RepresentationModel;

namespace Fidamia.Benchmarks;

/// <summary>
/// The reference the compiled rules are measured against: the rules file read once into plain lists and
/// dictionaries of strings (no validation, no compilation), then, for every report, the straightforward evaluation:
/// walk the rule list, compare each condition's raw values with the report's with LINQ and string comparisons,
/// expand the template with <c>string.Replace</c>, look the queue up in the list of queues. Same semantics as
/// <c>RuleSet.Route</c> (first match wins, a template naming no declared queue is skipped, case-insensitive zone
/// and road values, <c>none</c> for no road), a one-line explanation instead of the full one.
/// </summary>
internal sealed class NaiveRuleEvaluator
{
    private readonly string _default;
    private readonly List<Queue> _queues;
    private readonly List<Rule> _rules;

    private NaiveRuleEvaluator(string defaultQueue, List<Queue> queues, List<Rule> rules)
    {
        _default = defaultQueue;
        _queues = queues;
        _rules = rules;
    }

    public static NaiveRuleEvaluator Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var queues = ((YamlSequenceNode)root["queues"]).Cast<YamlMappingNode>()
            .Select(q => new Queue(Scalar(q, "id")!, Scalar(q, "name") ?? Scalar(q, "id")!))
            .ToList();
        var position = 0;
        var rules = new List<Rule>();
        foreach (var rule in ((YamlSequenceNode)root["rules"]).Cast<YamlMappingNode>())
        {
            position++;
            var when = new List<KeyValuePair<string, List<string>>>();
            if (rule.Children.TryGetValue(new YamlScalarNode("when"), out var node) && node is YamlMappingNode conditions)
            {
                foreach (var (key, value) in conditions.Children)
                {
                    var values = value is YamlSequenceNode list
                        ? list.Cast<YamlScalarNode>().Select(v => v.Value!).ToList()
                        : [((YamlScalarNode)value).Value!];
                    when.Add(new(((YamlScalarNode)key).Value!, values));
                }
            }

            rules.Add(new Rule(Scalar(rule, "id") ?? $"#{position}", when, Scalar(rule, "then")!));
        }

        return new NaiveRuleEvaluator(((YamlScalarNode)root["default"]).Value!, queues, rules);
    }

    public QueueAssignment Route(RouteRequest request)
    {
        var (queue, rule) = Find(request);
        return new QueueAssignment(
            new QueueRef(queue.Id, queue.Name),
            rule?.Name ?? "default",
            [rule is null ? $"rule default: no rule matched → {queue.Id}" : $"rule {rule.Name}: {string.Join(", ", rule.When.Select(c => c.Key))} → {queue.Id}"]);
    }

    /// <summary>The queue and the rule that chose it (null for the default), without an explanation.</summary>
    public (Queue Queue, Rule? Rule) Find(RouteRequest request)
    {
        foreach (var rule in _rules)
        {
            if (!rule.When.All(condition => Matches(condition.Key, condition.Value, request)))
            {
                continue;
            }

            var id = Expand(rule.Then, request);
            var queue = id is null ? null : _queues.FirstOrDefault(q => q.Id == id);
            if (queue is not null)
            {
                return (queue, rule);
            }
        }

        return (_queues.First(q => q.Id == _default), null);
    }

    private static bool Matches(string key, List<string> values, RouteRequest request)
    {
        var context = request.Context;
        return key switch
        {
            "label" => values.Any(v => v == request.Label.Code),
            "family" => values.Any(v => v == request.Label.Family.Code),
            "commune" => values.Any(v => v == context.Commune.Insee),
            "arrondissement" => context.Arrondissement is not null && values.Any(v => v == context.Arrondissement.Insee),
            "territory" => values.Any(v => v == context.Territory),
            "zone_layer" => context.Zones.Any(z => values.Any(v => string.Equals(v, z.Layer, StringComparison.OrdinalIgnoreCase))),
            "zone_type" => context.Zones.Any(z => values.Any(v => string.Equals(v, z.Type, StringComparison.OrdinalIgnoreCase))),
            "road_owner" => context.Road is null
                ? values.Any(v => string.Equals(v, "none", StringComparison.OrdinalIgnoreCase))
                : values.Any(v => !string.Equals(v, "none", StringComparison.OrdinalIgnoreCase) && string.Equals(v, context.Road.Owner, StringComparison.OrdinalIgnoreCase)),
            "channel" => values.Any(v => string.Equals(v, request.Channel.ToString(), StringComparison.OrdinalIgnoreCase)),
            _ => false,
        };
    }

    private static string? Expand(string then, RouteRequest request)
    {
        if (!then.Contains('{', StringComparison.Ordinal))
        {
            return then;
        }

        var context = request.Context;
        if (then.Contains("{arrondissement}", StringComparison.Ordinal) && context.Arrondissement is null)
        {
            return null;
        }

        return then
            .Replace("{territory}", FamilyTerritoryRouter.Slug(context.Territory), StringComparison.Ordinal)
            .Replace("{commune}", context.Commune.Insee, StringComparison.Ordinal)
            .Replace("{arrondissement}", context.Arrondissement?.Insee ?? "", StringComparison.Ordinal)
            .Replace("{family}", request.Label.Family.Code.Replace('_', '-'), StringComparison.Ordinal)
            .Replace("{label}", request.Label.Code.Replace('_', '-'), StringComparison.Ordinal);
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    internal sealed record Queue(string Id, string Name);

    internal sealed record Rule(string Name, List<KeyValuePair<string, List<string>>> When, string Then);
}
