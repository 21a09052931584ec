using System.Collections.Frozen;
using Fidamia.Core.Routing;

namespace Fidamia.Routing;

/// <summary>A queue declared in the rules file.</summary>
/// <param name="Service">The service team that works the queue (voirie, departement-13...).</param>
/// <param name="Territory">The territory the queue serves, as the communes layer spells it; null when it serves none in particular.</param>
internal sealed record RoutingQueue(string Id, string Service, string Name, string? Territory, long Line)
{
    public QueueRef Ref { get; } = new(Id, Name);
}

/// <summary>One rule of the file: all its conditions must match (AND); then its queue, possibly templated.</summary>
internal sealed class RoutingRule(int position, string? id, long line, RuleCondition[] conditions, QueueTarget then)
{
    public int Position { get; } = position;

    public string? Id { get; } = id;

    public long Line { get; } = line;

    public QueueTarget Then { get; } = then;

    /// <summary>What <see cref="QueueAssignment.Rule"/> carries: the id, or the position when the rule has none.</summary>
    public string Name { get; } = id ?? $"#{position}";

    /// <summary>How explanations name the rule: both id and position, so the rule is found in the file either way.</summary>
    public string Display { get; } = id is null ? $"#{position}" : $"'{id}' (#{position})";

    public bool Matches(RouteRequest request)
    {
        foreach (var condition in conditions)
        {
            if (!condition.Matches(request))
            {
                return false;
            }
        }

        return true;
    }

    public string DescribeMatch(RouteRequest request) =>
        conditions.Length == 0 ? "matches every report" : string.Join(", ", conditions.Select(c => c.Describe(request)));
}

/// <summary>
/// A validated rules file, compiled: immutable, so a reload swaps the whole set at once and a report
/// in flight is routed by one version of the rules from start to end.
/// </summary>
internal sealed class RuleSet
{
    public const string DefaultRuleName = "default";

    private readonly RoutingRule[] _rules;
    private readonly FrozenDictionary<string, RoutingQueue>.AlternateLookup<ReadOnlySpan<char>> _queuesBySpan;
    private readonly FrozenDictionary<string, string> _territorySlugs;

    public RuleSet(string source, IEnumerable<RoutingQueue> queues, RoutingQueue defaultQueue, IEnumerable<RoutingRule> rules)
    {
        Source = source;
        Queues = queues.ToFrozenDictionary(q => q.Id, StringComparer.Ordinal);
        Default = defaultQueue;
        _rules = [.. rules];
        _queuesBySpan = Queues.GetAlternateLookup<ReadOnlySpan<char>>();
        MaxQueueIdLength = Queues.Keys.Max(k => k.Length);
        _territorySlugs = Queues.Values
            .Select(q => q.Territory)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToFrozenDictionary(t => t, FamilyTerritoryRouter.Slug, StringComparer.Ordinal);
    }

    /// <summary>Where the rules came from, for logs.</summary>
    public string Source { get; }

    public FrozenDictionary<string, RoutingQueue> Queues { get; }

    public RoutingQueue Default { get; }

    public IReadOnlyList<RoutingRule> Rules => _rules;

    /// <summary>No expansion longer than this can name a declared queue: it sizes the expansion buffer.</summary>
    public int MaxQueueIdLength { get; }

    public QueueAssignment Route(RouteRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<string>? skipped = null;
        foreach (var rule in _rules)
        {
            if (!rule.Matches(request))
            {
                continue;
            }

            if (rule.Then.Resolve(request, this, out var skipReason) is not { } queue)
            {
                // A templated queue that does not exist here is a rule that does not apply here, not a failure.
                (skipped ??= []).Add($"rule {rule.Display}: {rule.DescribeMatch(request)}, but {skipReason}; next rule");
                continue;
            }

            var explanation = new List<string>((skipped?.Count ?? 0) + 2);
            if (skipped is not null)
            {
                explanation.AddRange(skipped);
            }

            explanation.Add($"rule {rule.Display}: {rule.DescribeMatch(request)} → {queue.Id}");
            if (rule.Then.IsTemplate)
            {
                explanation.Add($"queue {rule.Then.Text} → {queue.Id}: {rule.Then.DescribeValues(request)}");
            }

            return new QueueAssignment(queue.Ref, rule.Name, explanation);
        }

        var lines = skipped ?? [];
        lines.Add($"rule {DefaultRuleName}: no rule matched → {Default.Id}");
        return new QueueAssignment(Default.Ref, DefaultRuleName, lines);
    }

    internal RoutingQueue? FindQueue(ReadOnlySpan<char> id) => _queuesBySpan.TryGetValue(id, out var queue) ? queue : null;

    /// <summary>The slug of a territory: precomputed for the declared territories, computed (and allocated) for others.</summary>
    internal string TerritorySlug(string territory) =>
        _territorySlugs.TryGetValue(territory, out var slug) ? slug : FamilyTerritoryRouter.Slug(territory);
}
