using System.Collections.Frozen;
using Fidamia.Core.Routing;

namespace Fidamia.Routing;

/// <summary>The variables a rule's <c>then</c> may use, e.g. <c>proprete-{territory}</c>.</summary>
internal enum TemplateVariable
{
    Territory,
    Commune,
    Arrondissement,
    Family,
    Label,
}

/// <summary>A literal piece of a template, or a variable (when <see cref="Literal"/> is null).</summary>
internal readonly record struct TemplatePart(string? Literal, TemplateVariable Variable);

/// <summary>The queue a rule names: a declared queue, or a template expanded per report.</summary>
internal sealed class QueueTarget
{
    public static readonly FrozenDictionary<string, TemplateVariable> VariablesByName = new Dictionary<string, TemplateVariable>
    {
        ["territory"] = TemplateVariable.Territory,
        ["commune"] = TemplateVariable.Commune,
        ["arrondissement"] = TemplateVariable.Arrondissement,
        ["family"] = TemplateVariable.Family,
        ["label"] = TemplateVariable.Label,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly TemplatePart[] _parts;
    private readonly RoutingQueue? _fixed;
    private readonly bool _needsArrondissement;

    private QueueTarget(string text, TemplatePart[] parts, RoutingQueue? fixedQueue)
    {
        Text = text;
        _parts = parts;
        _fixed = fixedQueue;
        _needsArrondissement = parts.Any(p => p.Literal is null && p.Variable == TemplateVariable.Arrondissement);
    }

    /// <summary>The <c>then</c> as written in the file.</summary>
    public string Text { get; }

    public bool IsTemplate => _fixed is null;

    public IEnumerable<TemplateVariable> Variables => _parts.Where(p => p.Literal is null).Select(p => p.Variable).Distinct();

    public static QueueTarget Fixed(RoutingQueue queue) => new(queue.Id, [new TemplatePart(queue.Id, default)], queue);

    public static QueueTarget Template(string text, TemplatePart[] parts) => new(text, parts, null);

    /// <summary>
    /// Splits <paramref name="text"/> into literals and <c>{variables}</c>.
    /// </summary>
    /// <returns>The parts, or null with <paramref name="problem"/> set.</returns>
    public static TemplatePart[]? Parse(string text, out string? problem)
    {
        var parts = new List<TemplatePart>();
        var position = 0;
        while (position < text.Length)
        {
            var open = text.IndexOfAny(['{', '}'], position);
            if (open < 0)
            {
                parts.Add(new TemplatePart(text[position..], default));
                break;
            }

            if (text[open] == '}')
            {
                problem = $"then '{text}' has a '}}' without '{{' at column {open + 1}";
                return null;
            }

            var close = text.IndexOf('}', open + 1);
            if (close < 0)
            {
                problem = $"then '{text}' has a '{{' without '}}' at column {open + 1}";
                return null;
            }

            if (open > position)
            {
                parts.Add(new TemplatePart(text[position..open], default));
            }

            var name = text[(open + 1)..close];
            if (!VariablesByName.TryGetValue(name, out var variable))
            {
                problem = $"then '{text}' uses unknown template variable {{{name}}} (known: {string.Join(", ", VariablesByName.Keys.Select(k => "{" + k + "}"))})";
                return null;
            }

            parts.Add(new TemplatePart(null, variable));
            position = close + 1;
        }

        problem = null;
        return [.. parts];
    }

    /// <summary>The queue for this report, or null with the reason when the expansion names no declared queue.</summary>
    public RoutingQueue? Resolve(RouteRequest request, RuleSet rules, out string? skipReason)
    {
        skipReason = null;
        if (_fixed is not null)
        {
            return _fixed;
        }

        if (_needsArrondissement && request.Context.Arrondissement is null)
        {
            skipReason = $"{Text} needs an arrondissement and the point is in none";
            return null;
        }

        // Expanded on the stack and looked up by span: routing a report allocates no queue id. Anything longer
        // than the longest declared id cannot name a declared queue.
        Span<char> buffer = stackalloc char[rules.MaxQueueIdLength];
        var written = 0;
        var fits = true;
        foreach (var part in _parts)
        {
            fits &= Append(buffer, ref written, part.Literal ?? Value(part.Variable, request, rules), slugify: part.Literal is null);
        }

        if (fits && rules.FindQueue(buffer[..written]) is { } queue)
        {
            return queue;
        }

        skipReason = $"{Text} → {Expand(request, rules)} names no declared queue";
        return null;
    }

    /// <summary>The expansion as a string, for explanations and load-time checks.</summary>
    public string Expand(RouteRequest request, RuleSet rules) =>
        string.Concat(_parts.Select(p => p.Literal ?? Slugify(Value(p.Variable, request, rules))));

    /// <summary>The values the template took, naming the features they came from.</summary>
    public string DescribeValues(RouteRequest request)
    {
        var context = request.Context;
        return string.Join(", ", Variables.Select(v => v switch
        {
            TemplateVariable.Territory => $"territory {context.Territory} (commune {RuleCondition.DescribeCommune(context.Commune)})",
            TemplateVariable.Commune => $"commune {RuleCondition.DescribeCommune(context.Commune)}",
            TemplateVariable.Arrondissement => $"arrondissement {RuleCondition.DescribeCommune(context.Arrondissement!)}",
            TemplateVariable.Family => $"family {request.Label.Family.Code}",
            _ => $"label {request.Label.Code}",
        }));
    }

    /// <summary>Codes (labels, families) use '_' and queue ids use '-': <c>espaces_verts</c> expands to <c>espaces-verts</c>.</summary>
    public static string Slugify(string value) => value.Replace('_', '-');

    private static string Value(TemplateVariable variable, RouteRequest request, RuleSet rules) => variable switch
    {
        TemplateVariable.Territory => rules.TerritorySlug(request.Context.Territory),
        TemplateVariable.Commune => request.Context.Commune.Insee,
        TemplateVariable.Arrondissement => request.Context.Arrondissement?.Insee ?? "",
        TemplateVariable.Family => request.Label.Family.Code,
        _ => request.Label.Code,
    };

    private static bool Append(Span<char> buffer, ref int written, string value, bool slugify)
    {
        if (written + value.Length > buffer.Length)
        {
            return false;
        }

        foreach (var c in value)
        {
            buffer[written++] = slugify && c == '_' ? '-' : c;
        }

        return true;
    }
}
