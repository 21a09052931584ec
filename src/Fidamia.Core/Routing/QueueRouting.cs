using System.Text;
using Fidamia.Core.Location;
using Fidamia.Core.Taxonomy;

namespace Fidamia.Core.Routing;

public sealed record QueueRef(string Id, string Name);

/// <summary>The queue a label goes to at a place, and why.</summary>
public sealed record QueueAssignment(QueueRef Queue, string Reason);

public interface IQueueRouter
{
    QueueAssignment Route(TaxonomyLabel label, LocationContext context);
}

/// <summary>
/// Routes by the label's family and the territory of the point: <c>{family}.{territory}</c>,
/// e.g. <c>voirie.marseille-provence</c>. The rules engine replaces it.
/// </summary>
public sealed class FamilyTerritoryRouter : IQueueRouter
{
    public QueueAssignment Route(TaxonomyLabel label, LocationContext context)
    {
        var id = $"{label.Family.Code}.{Slug(context.Territory)}";
        var name = $"{label.Family.Name} – {context.Territory}";
        return new QueueAssignment(
            new QueueRef(id, name),
            $"queue: family '{label.Family.Code}' in territory '{context.Territory}' → {id}");
    }

    /// <summary>Lower-case ASCII words joined by hyphens: "Pays d'Aubagne et de l'Étoile" → "pays-d-aubagne-et-de-l-etoile".</summary>
    public static string Slug(string text)
    {
        var builder = new StringBuilder(text.Length);
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
