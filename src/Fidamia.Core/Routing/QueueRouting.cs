using Fidamia.Core.Location;
using Fidamia.Core.Reports;
using Fidamia.Core.Taxonomy;

namespace Fidamia.Core.Routing;

public sealed record QueueRef(string Id, string Name);

/// <summary>What routing looks at: the label, the place, and how the report came in.</summary>
public sealed record RouteRequest(TaxonomyLabel Label, LocationContext Context, ReportChannel Channel);

/// <summary>The queue a report goes to, the rule that chose it, and why.</summary>
/// <param name="Rule">The rule's id, or its position (e.g. "#3") when it has none; "default" for the default queue.</param>
public sealed record QueueAssignment(QueueRef Queue, string Rule, IReadOnlyList<string> Explanation);

public interface IQueueRouter
{
    QueueAssignment Route(RouteRequest request);

    /// <summary>The queue with this id, when routing can send reports there; null otherwise.</summary>
    QueueRef? FindQueue(string id);
}

/// <summary>
/// Routes by the label's family and the territory of the point: <c>{family}.{territory}</c>,
/// e.g. <c>voirie.marseille-provence</c>. Serves when no rules file is configured.
/// </summary>
public sealed class FamilyTerritoryRouter : IQueueRouter
{
    public QueueAssignment Route(RouteRequest request)
    {
        var family = request.Label.Family;
        var territory = request.Context.Territory;
        var id = $"{family.Code}.{Slug(territory)}";
        return new QueueAssignment(
            new QueueRef(id, $"{family.Name} – {territory}"),
            "family-territory",
            [$"queue: family '{family.Code}' in territory '{territory}' → {id} (no rules file: family and territory)"]);
    }

    /// <summary>Any <c>family.territory</c> id: without a rules file the queues are not listed anywhere.</summary>
    public QueueRef? FindQueue(string id) =>
        id.Split('.') is [{ Length: > 0 } family, { Length: > 0 } territory] && Slug(territory) == territory && Slug(family) == family
            ? new QueueRef(id, id)
            : null;

    /// <summary>Lower-case ASCII words joined by hyphens: "Pays d'Aubagne et de l'Étoile" → "pays-d-aubagne-et-de-l-etoile".</summary>
    public static string Slug(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        foreach (var raw in text)
        {
            // Folded by hand: the service runs with invariant globalization (no ICU to normalise with).
            var c = FoldAccent(char.ToLowerInvariant(raw));
            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(c);
            }
            else if (builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }
        }

        return builder.ToString().TrimEnd('-');
    }

    private static char FoldAccent(char c) => c switch
    {
        'à' or 'â' or 'ä' or 'á' or 'ã' => 'a',
        'é' or 'è' or 'ê' or 'ë' => 'e',
        'î' or 'ï' or 'í' or 'ì' => 'i',
        'ô' or 'ö' or 'ó' or 'ò' or 'õ' => 'o',
        'ù' or 'û' or 'ü' or 'ú' => 'u',
        'ÿ' => 'y',
        'ç' => 'c',
        'ñ' => 'n',
        'œ' => 'o',
        'æ' => 'a',
        _ => c,
    };
}
