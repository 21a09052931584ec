using System.Collections.Frozen;
using Fidamia.Core.Taxonomy;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Fidamia.Routing;

/// <summary>A rules file that cannot serve: every problem found, each naming the rule (or queue) and its line.</summary>
public sealed class RoutingRulesException : Exception
{
    public RoutingRulesException(string rulesPath, IReadOnlyList<string> problems)
        : base($"routing rules {rulesPath}: {problems.Count} problem(s):{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}")
    {
        RulesPath = rulesPath;
        Problems = problems;
    }

    public string RulesPath { get; }

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>
/// Reads and validates a rules file (format: see the header of the shipped <c>routing.yaml</c>). It goes through
/// YamlDotNet's representation model rather than a deserializer because problems must name lines, and every node
/// keeps its position. All problems are collected before failing, so one start-up attempt shows them all.
/// </summary>
internal static class RoutingRulesLoader
{
    private static readonly string[] RootKeys = ["default", "queues", "rules"];
    private static readonly string[] QueueKeys = ["id", "service", "name", "territory"];
    private static readonly string[] RuleKeys = ["id", "when", "then", "description"];
    private static readonly string[] WhenKeys =
        ["label", "family", "commune", "arrondissement", "territory", "zone_layer", "zone_type", "road_owner", "channel"];

    /// <summary>Written in <c>road_owner</c> for "no road near the point".</summary>
    public const string NoRoad = "none";

    // Expansions are enumerated at load to check them; past this many, a template is left to run time.
    private const int MaxCheckedExpansions = 10_000;

    public static RuleSet LoadFile(string path, Taxonomy taxonomy)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RoutingRulesException(path, [$"cannot read the file: {ex.Message}"]);
        }

        return Parse(text, path, taxonomy);
    }

    public static RuleSet Parse(string yaml, string source, Taxonomy taxonomy)
    {
        ArgumentNullException.ThrowIfNull(taxonomy);
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yaml));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException ex)
        {
            throw new RoutingRulesException(source, [$"line {ex.Start.Line}: invalid YAML: {ex.Message}"]);
        }
        catch (InvalidOperationException ex)
        {
            // Some malformed input (an unclosed flow mapping) escapes the scanner as a bare InvalidOperationException
            // (aaubry/YamlDotNet#541): the scanner's position is then the only line there is to give.
            throw new RoutingRulesException(source, [$"line {scanner.CurrentPosition.Line}: invalid YAML: the parser stopped here ({ex.Message})"]);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            throw new RoutingRulesException(source, ["the file is empty: it needs at least 'default' and 'queues'"]);
        }

        if (stream.Documents.Count > 1)
        {
            throw new RoutingRulesException(source, [$"line {stream.Documents[1].RootNode.Start.Line}: one YAML document expected, found {stream.Documents.Count}"]);
        }

        var problems = new List<string>();
        var ruleSet = new Compiler(taxonomy, problems).Compile(stream.Documents[0].RootNode, source);
        return problems.Count > 0 || ruleSet is null ? throw new RoutingRulesException(source, problems) : ruleSet;
    }

    private sealed class Compiler(Taxonomy taxonomy, List<string> problems)
    {
        private readonly Dictionary<string, RoutingQueue> _queues = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TaxonomyFamily> _families = taxonomy.Families.ToDictionary(f => f.Code, StringComparer.Ordinal);
        private HashSet<string> _territories = new(StringComparer.Ordinal);

        public RuleSet? Compile(YamlNode root, string source)
        {
            if (root is not YamlMappingNode map)
            {
                problems.Add($"line {root.Start.Line}: the file must be a mapping with 'default', 'queues' and 'rules'");
                return null;
            }

            var children = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                if (!RootKeys.Contains(key))
                {
                    problems.Add($"line {keyNode.Start.Line}: unknown key '{key}' (known: {string.Join(", ", RootKeys)})");
                    continue;
                }

                children[key] = value;
            }

            // Queues first, whatever the order in the file: rules and the default refer to them.
            if (children.TryGetValue("queues", out var queuesNode))
            {
                ReadQueues(queuesNode);
            }
            else
            {
                problems.Add($"line {map.Start.Line}: no 'queues' declared");
            }

            _territories = _queues.Values.Select(q => q.Territory).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var defaultQueue = ReadDefault(children.GetValueOrDefault("default"), map);
            var rules = children.TryGetValue("rules", out var rulesNode) ? ReadRules(rulesNode) : [];
            return problems.Count == 0 && defaultQueue is not null
                ? new RuleSet(source, _queues.Values, defaultQueue, rules)
                : null;
        }

        private void ReadQueues(YamlNode node)
        {
            if (node is not YamlSequenceNode sequence)
            {
                problems.Add($"line {node.Start.Line}: 'queues' must be a list");
                return;
            }

            var position = 0;
            foreach (var item in sequence)
            {
                position++;
                if (item is not YamlMappingNode map)
                {
                    problems.Add($"queue #{position} (line {item.Start.Line}): a queue must be a mapping with id, service, name and an optional territory");
                    continue;
                }

                var id = ScalarOf(map, "id");
                var where = $"queue #{position}{(string.IsNullOrEmpty(id) ? "" : $" '{id}'")} (line {map.Start.Line})";
                var fields = ReadFields(map, QueueKeys, where, "queue");
                if (string.IsNullOrEmpty(id))
                {
                    problems.Add($"{where}: no id");
                    continue;
                }

                if (!IsQueueId(id))
                {
                    problems.Add($"{where}: id '{id}' must be lower-case letters, digits and hyphens");
                }

                var service = fields.GetValueOrDefault("service");
                if (string.IsNullOrEmpty(service))
                {
                    problems.Add($"{where}: no service");
                }

                var name = fields.GetValueOrDefault("name");
                var territory = fields.GetValueOrDefault("territory");
                var queue = new RoutingQueue(id, service ?? "", string.IsNullOrEmpty(name) ? id : name, string.IsNullOrEmpty(territory) ? null : territory, map.Start.Line);
                if (!_queues.TryAdd(id, queue))
                {
                    problems.Add($"{where}: duplicate queue id '{id}' (first declared at line {_queues[id].Line})");
                }
            }
        }

        private RoutingQueue? ReadDefault(YamlNode? node, YamlMappingNode root)
        {
            if (node is null)
            {
                problems.Add($"line {root.Start.Line}: no default queue: add 'default: QUEUE_ID' for the reports no rule matches");
                return null;
            }

            var id = (node as YamlScalarNode)?.Value;
            if (string.IsNullOrEmpty(id))
            {
                problems.Add($"line {node.Start.Line}: 'default' must name a queue");
                return null;
            }

            if (!_queues.TryGetValue(id, out var queue))
            {
                problems.Add($"line {node.Start.Line}: default queue '{id}' is not declared under 'queues'");
            }

            return queue;
        }

        private List<RoutingRule> ReadRules(YamlNode node)
        {
            var rules = new List<RoutingRule>();
            if (node is YamlScalarNode { Value: null or "" })
            {
                return rules;
            }

            if (node is not YamlSequenceNode sequence)
            {
                problems.Add($"line {node.Start.Line}: 'rules' must be a list");
                return rules;
            }

            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            var position = 0;
            foreach (var item in sequence)
            {
                position++;
                if (item is not YamlMappingNode map)
                {
                    problems.Add($"rule #{position} (line {item.Start.Line}): a rule must be a mapping with 'when' and 'then'");
                    continue;
                }

                var id = ScalarOf(map, "id");
                var where = $"rule #{position}{(string.IsNullOrEmpty(id) ? "" : $" '{id}'")} (line {map.Start.Line})";
                var countBefore = problems.Count;
                var rule = ReadRule(map, position, string.IsNullOrEmpty(id) ? null : id, where);
                if (id is not null && !ids.TryAdd(id, where))
                {
                    problems.Add($"{where}: duplicate rule id '{id}' (also {ids[id]})");
                }

                if (rule is not null && problems.Count == countBefore)
                {
                    rules.Add(rule);
                }
            }

            return rules;
        }

        private RoutingRule? ReadRule(YamlMappingNode map, int position, string? id, string where)
        {
            var whenNode = default(YamlNode);
            var thenText = default(string);
            foreach (var (keyNode, value) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                switch (key)
                {
                    case "id":
                    case "description":
                        if (value is not YamlScalarNode)
                        {
                            problems.Add($"{where}: '{key}' must be a single value");
                        }

                        break;
                    case "when":
                        whenNode = value;
                        break;
                    case "then":
                        thenText = (value as YamlScalarNode)?.Value;
                        if (string.IsNullOrEmpty(thenText))
                        {
                            problems.Add($"{where}: 'then' must name a queue");
                        }

                        break;
                    default:
                        problems.Add($"{where}: unknown key '{key}' at line {keyNode.Start.Line} (known: {string.Join(", ", RuleKeys)})");
                        break;
                }
            }

            if (thenText is null && !map.Children.ContainsKey(new YamlScalarNode("then")))
            {
                problems.Add($"{where}: no 'then': a rule must name its queue");
            }

            var when = ReadWhen(whenNode, where);
            if (string.IsNullOrEmpty(thenText))
            {
                return null;
            }

            // With broken conditions, expansions cannot be checked, but the queue name itself still can.
            var then = ReadThen(thenText, when, where);
            if (when is null)
            {
                return null;
            }

            return then is null ? null : new RoutingRule(position, id, map.Start.Line, [.. when.Value.Conditions], then);
        }

        private When? ReadWhen(YamlNode? node, string where)
        {
            var when = new When([], new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal));
            if (node is null || node is YamlScalarNode { Value: null or "" or "~" or "null" })
            {
                return when;
            }

            if (node is not YamlMappingNode map)
            {
                problems.Add($"{where}: 'when' must be a mapping of conditions (label, family, commune...)");
                return null;
            }

            var ok = true;
            foreach (var (keyNode, valueNode) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                if (!WhenKeys.Contains(key))
                {
                    problems.Add($"{where}: unknown condition '{key}' at line {keyNode.Start.Line} (known: {string.Join(", ", WhenKeys)})");
                    ok = false;
                    continue;
                }

                var values = ReadValues(valueNode, key, where);
                if (values is null)
                {
                    ok = false;
                    continue;
                }

                var condition = Compile(key, values, where);
                if (condition is null)
                {
                    ok = false;
                    continue;
                }

                when.Conditions.Add(condition);
                when.Values[key] = values;
            }

            return ok ? when : null;
        }

        /// <summary>A scalar or a list of scalars (any of them matches).</summary>
        private List<string>? ReadValues(YamlNode node, string key, string where)
        {
            var values = new List<string>();
            if (node is YamlScalarNode scalar)
            {
                if (!string.IsNullOrEmpty(scalar.Value))
                {
                    values.Add(scalar.Value);
                }
            }
            else if (node is YamlSequenceNode sequence)
            {
                foreach (var item in sequence)
                {
                    if (item is not YamlScalarNode { Value: { Length: > 0 } value })
                    {
                        problems.Add($"{where}: '{key}' lists something that is not a value at line {item.Start.Line}");
                        return null;
                    }

                    values.Add(value);
                }
            }
            else
            {
                problems.Add($"{where}: '{key}' must be a value or a list of values");
                return null;
            }

            if (values.Count == 0)
            {
                problems.Add($"{where}: '{key}' has no value: it would match nothing");
                return null;
            }

            return values;
        }

        private RuleCondition? Compile(string key, List<string> values, string where)
        {
            var unknown = key switch
            {
                "label" => values.Where(v => taxonomy.Find(v) is null).ToList(),
                "family" => values.Where(v => !_families.ContainsKey(v)).ToList(),
                "channel" => values.Where(v => !ChannelCondition.ByName.ContainsKey(v)).ToList(),
                "commune" or "arrondissement" => values.Where(v => !IsInsee(v)).ToList(),
                // Territories are checked against those the queues serve: a misspelt one would otherwise never match.
                "territory" when _territories.Count > 0 => values.Where(v => !_territories.Contains(v)).ToList(),
                _ => [],
            };
            if (unknown.Count > 0)
            {
                var known = key switch
                {
                    "label" => "labels of the taxonomy",
                    "family" => "families: " + string.Join(", ", _families.Keys),
                    "channel" => "channels: web, app, phone, agent, unspecified",
                    "territory" => "territories of the queues: " + string.Join(", ", _territories.Order(StringComparer.Ordinal)),
                    _ => "five-character INSEE codes",
                };
                var noun = key is "commune" or "arrondissement" ? $"{key} code" : key;
                problems.Add($"{where}: unknown {noun} {string.Join(", ", unknown.Select(u => $"'{u}'"))} ({known})");
                return null;
            }

            return key switch
            {
                "label" => new LabelCondition(values.ToFrozenSet(StringComparer.Ordinal)),
                "family" => new FamilyCondition(values.ToFrozenSet(StringComparer.Ordinal)),
                "commune" => new CommuneCondition(values.ToFrozenSet(StringComparer.Ordinal)),
                "arrondissement" => new ArrondissementCondition(values.ToFrozenSet(StringComparer.Ordinal)),
                "territory" => new TerritoryCondition(values.ToFrozenSet(StringComparer.Ordinal)),
                // Layer names and GIS attribute values are compared without case: layers are not always consistent.
                "zone_layer" => new ZoneLayerCondition(values.ToFrozenSet(StringComparer.OrdinalIgnoreCase)),
                "zone_type" => new ZoneTypeCondition(values.ToFrozenSet(StringComparer.OrdinalIgnoreCase)),
                "road_owner" => new RoadOwnerCondition(
                    values.Where(v => !v.Equals(NoRoad, StringComparison.OrdinalIgnoreCase)).ToFrozenSet(StringComparer.OrdinalIgnoreCase),
                    values.Any(v => v.Equals(NoRoad, StringComparison.OrdinalIgnoreCase))),
                "channel" => new ChannelCondition(values.Aggregate(0, (mask, v) => mask | ChannelCondition.Bit(ChannelCondition.ByName[v]))),
                _ => throw new InvalidOperationException($"condition '{key}' has no compiler in {where}"),
            };
        }

        private QueueTarget? ReadThen(string text, When? when, string where)
        {
            var parts = QueueTarget.Parse(text, out var problem);
            if (parts is null)
            {
                problems.Add($"{where}: {problem}");
                return null;
            }

            if (parts.All(p => p.Literal is not null))
            {
                if (_queues.TryGetValue(text, out var queue))
                {
                    return QueueTarget.Fixed(queue);
                }

                problems.Add($"{where}: then names queue '{text}', which is not declared under 'queues'");
                return null;
            }

            var target = QueueTarget.Template(text, parts);
            return when is { } conditions && CheckExpansions(target, parts, conditions, where) ? target : null;
        }

        /// <summary>
        /// Every expansion that can be known at load must name a declared queue: labels and families from the
        /// taxonomy (narrowed by the rule's own conditions), territories from the queues, communes and
        /// arrondissements only when the rule lists them. The rest can only be checked per report.
        /// </summary>
        private bool CheckExpansions(QueueTarget target, TemplatePart[] parts, When when, string where)
        {
            var variables = target.Variables.ToHashSet();
            var choices = new Dictionary<TemplateVariable, IReadOnlyList<string>>();
            if (variables.Contains(TemplateVariable.Territory))
            {
                IEnumerable<string> territories = when.Values.TryGetValue("territory", out var listed) ? listed : _territories;
                var slugs = territories.Select(Fidamia.Core.Routing.FamilyTerritoryRouter.Slug).Distinct().ToList();
                if (slugs.Count == 0)
                {
                    problems.Add($"{where}: then '{target.Text}' uses {{territory}} but no queue declares a territory");
                    return false;
                }

                choices[TemplateVariable.Territory] = slugs;
            }

            foreach (var (variable, key) in new[] { (TemplateVariable.Commune, "commune"), (TemplateVariable.Arrondissement, "arrondissement") })
            {
                if (variables.Contains(variable))
                {
                    if (!when.Values.TryGetValue(key, out var listed))
                    {
                        return true;
                    }

                    choices[variable] = listed;
                }
            }

            // Label and family go together: a label fixes its family.
            var labels = taxonomy.Labels
                .Where(l => !when.Values.TryGetValue("label", out var listed) || listed.Contains(l.Code))
                .Where(l => !when.Values.TryGetValue("family", out var listed) || listed.Contains(l.Family.Code))
                .ToList();
            if (labels.Count == 0)
            {
                problems.Add($"{where}: its label and family conditions exclude each other: no report can match");
                return false;
            }

            var combinations = new List<Dictionary<TemplateVariable, string>>();
            foreach (var label in labels)
            {
                combinations.Add(new() { [TemplateVariable.Label] = label.Code, [TemplateVariable.Family] = label.Family.Code });
            }

            foreach (var (variable, values) in choices)
            {
                if ((long)combinations.Count * values.Count > MaxCheckedExpansions)
                {
                    return true;
                }

                combinations = [.. combinations.SelectMany(c => values.Select(v => new Dictionary<TemplateVariable, string>(c) { [variable] = v }))];
            }

            var missing = combinations
                .Select(c => string.Concat(parts.Select(p => p.Literal ?? QueueTarget.Slugify(c[p.Variable]))))
                .Distinct(StringComparer.Ordinal)
                .Where(id => !_queues.ContainsKey(id))
                .ToList();
            if (missing.Count == 0)
            {
                return true;
            }

            problems.Add($"{where}: then '{target.Text}' can expand to undeclared queue(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}");
            return false;
        }

        private Dictionary<string, string?> ReadFields(YamlMappingNode map, string[] known, string where, string what)
        {
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                if (!known.Contains(key))
                {
                    problems.Add($"{where}: unknown {what} key '{key}' at line {keyNode.Start.Line} (known: {string.Join(", ", known)})");
                    continue;
                }

                if (value is not YamlScalarNode scalar)
                {
                    problems.Add($"{where}: '{key}' must be a single value");
                    continue;
                }

                fields[key] = scalar.Value;
            }

            return fields;
        }

        private static string? ScalarOf(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? (node as YamlScalarNode)?.Value : null;

        private static bool IsQueueId(string id) =>
            id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

        // INSEE codes: five characters, digits except Corsica's 2A/2B.
        private static bool IsInsee(string code) =>
            code.Length == 5 && char.IsAsciiDigit(code[0]) && code[1] is (>= '0' and <= '9') or 'A' or 'B'
            && code[2..].All(char.IsAsciiDigit);
    }

    private readonly record struct When(List<RuleCondition> Conditions, Dictionary<string, IReadOnlyList<string>> Values);
}
