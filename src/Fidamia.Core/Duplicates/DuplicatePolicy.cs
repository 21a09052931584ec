using System.Globalization;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Scoring;
using Fidamia.Core.Taxonomy;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Duplicates;

/// <summary>An earlier report near a new one, as the duplicate search finds it.</summary>
public sealed record NearbyReport(
    string ReportId, GeoPoint Location, DateTimeOffset ReceivedAt, TriageStatus Status, string? LabelCode,
    float[]? Embedding, string? EmbeddingModel, ulong? PhotoHash);

/// <summary>The report a new one duplicates, and why.</summary>
public sealed record DuplicateMatch(string OriginalId, double DistanceM, double? Cosine, int? HashDistance, string Reason);

/// <summary>
/// The duplicate decision, with no I/O: among open reports nearby, the nearest of the same family within the label's
/// radius and the window whose photo shows the same scene (embedding cosine in one model's space, or difference hash).
/// </summary>
public sealed class DuplicatePolicy(Taxonomy.Taxonomy taxonomy, IOptions<DuplicateOptions> options)
{
    private readonly DuplicateOptions _options = options.Value;

    public DuplicateOptions Options => _options;

    /// <summary>The radius for a label: its own, else its family's, else the default.</summary>
    public double RadiusFor(TaxonomyLabel label) =>
        _options.RadiusM.TryGetValue(label.Code, out var own) ? own
        : _options.RadiusM.TryGetValue(label.Family.Code, out var family) ? family
        : _options.DefaultRadiusM;

    /// <summary>The largest radius any label has: how far the search looks.</summary>
    public double MaxRadius => _options.RadiusM.Values.Append(_options.DefaultRadiusM).Max();

    /// <param name="embedding">The new photo's embedding, L2-normalised; null for a classifier model.</param>
    public DuplicateMatch? Find(
        TaxonomyLabel? label, GeoPoint location, DateTimeOffset receivedAt, float[]? embedding, string? embeddingModel, ulong hash,
        IEnumerable<NearbyReport> nearby)
    {
        if (!_options.Enabled || label is null)
        {
            return null;
        }

        var radius = RadiusFor(label);
        DuplicateMatch? best = null;
        foreach (var candidate in nearby)
        {
            if (candidate.Status is TriageStatus.Duplicate or TriageStatus.Rejected
                || candidate.LabelCode is not { } code || taxonomy.Find(code) is not { } candidateLabel
                || candidateLabel.Family.Code != label.Family.Code
                || receivedAt - candidate.ReceivedAt > _options.Window)
            {
                continue;
            }

            var distance = Geodesy.HaversineMeters(location, candidate.Location);
            if (distance > radius || (best is not null && distance >= best.DistanceM))
            {
                continue;
            }

            double? cosine = embedding is not null && candidate.Embedding is { } other && candidate.EmbeddingModel == embeddingModel
                && other.Length == embedding.Length ? VectorMath.Dot(embedding, other) : null;
            int? bits = candidate.PhotoHash is { } h ? PhotoHash.Distance(hash, h) : null;
            if (cosine >= _options.MinCosine || bits <= _options.MaxHashDistance)
            {
                var why = string.Create(CultureInfo.InvariantCulture, $"duplicate: report {candidate.ReportId}, {distance:0} m away (within {radius:0} m for '{label.Code}'), same family '{label.Family.Code}', photo ")
                    + string.Join(", ", new[]
                    {
                        cosine is { } c ? string.Create(CultureInfo.InvariantCulture, $"cosine {c:0.00}") : null,
                        bits is { } b ? string.Create(CultureInfo.InvariantCulture, $"hash {b}/64 bits apart") : null,
                    }.OfType<string>());
                best = new DuplicateMatch(candidate.ReportId, distance, cosine, bits, why);
            }
        }

        return best;
    }
}
