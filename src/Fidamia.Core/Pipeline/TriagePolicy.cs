using System.Globalization;
using Fidamia.Core.Fusion;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Models;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Core.Taxonomy;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Pipeline;

/// <summary>
/// The decision, with no I/O: from the fused posterior, the place and the photo, the label (or none when nothing stands
/// out), whether it clears its threshold, the queue (the label's by the routing rules, or review) and why, line by line.
/// </summary>
public sealed class TriagePolicy(Taxonomy.Taxonomy taxonomy, IQueueRouter router, IOptions<TriageOptions> options)
{
    private readonly TriageOptions _options = options.Value;

    public Taxonomy.Taxonomy Taxonomy => taxonomy;

    /// <summary>The confidence a label needs to be routed without review: the model's own, else the taxonomy's, else the default.</summary>
    public static double Threshold(TaxonomyLabel label, IReadOnlyDictionary<string, double> modelThresholds, double defaultThreshold) =>
        modelThresholds.TryGetValue(label.Code, out var t) ? t : label.Threshold ?? defaultThreshold;

    public TriageDecision Decide(
        TriageReport report, GeoPoint location, LocationContext context, PhotoMetadata photo, Posterior posterior, ModelDescriptor model)
    {
        var ranked = taxonomy.Labels
            .Select(l => (Label: l, P: Probability(posterior.Probabilities[l.Index])))
            .OrderByDescending(x => x.P)
            .ThenBy(x => x.Label.Index)
            .ToList();
        var (best, confidence) = ranked[0];
        var tied = ranked.Count(x => x.P == confidence);

        // With nothing to go on (no image evidence, no declared category, a neutral place) every label ties: a
        // tie-break by taxonomy order would name a label nothing pointed to, so there is none.
        TaxonomyLabel? label = tied > 1 ? null : best;
        var threshold = label is null ? 1.0 : Threshold(label, model.Thresholds, _options.DefaultThreshold);

        var explanation = new List<string>(posterior.Explanation);
        explanation.AddRange(context.Matches.Count > 0
            ? context.Matches.Select(m => "layer " + m)
            : [$"context: commune {context.Commune.Name} ({context.Commune.Insee}), territory {context.Territory}"]);
        if (context.NearBoundaryM is { } nearBoundary)
        {
            explanation.Add(Invariant($"context: {nearBoundary:0} m from a commune boundary; the commune may need confirming"));
        }

        double? exifDistance = photo.ExifLocation is { } exif ? Math.Round(Geodesy.HaversineMeters(location, exif), 1) : null;
        var exifFarAway = exifDistance > _options.MaxExifDistanceM;
        if (exifFarAway)
        {
            explanation.Add(Invariant($"photo: its EXIF position is {exifDistance / 1000:0.0} km from the declared point (more than {_options.MaxExifDistanceM:0} m); not routed automatically"));
        }

        var routed = label is not null && !exifFarAway && confidence >= threshold;
        explanation.Add(label is null
            ? Invariant($"decision: no label stands out ({tied} labels tie at {confidence:0.00}): nothing in the photo, the place or a declared category tells them apart")
            : Invariant($"decision: '{label.Code}' at {confidence:0.00} {(confidence >= threshold ? ">=" : "<")} threshold {threshold:0.00}"));

        QueueRef queue;
        string? rule = null;
        var review = new QueueRef(_options.ReviewQueueId, _options.ReviewQueueName);
        if (label is null)
        {
            queue = review;
            explanation.Add($"queue: operators' review ({queue.Id})");
        }
        else
        {
            var assignment = router.Route(new RouteRequest(label, context, report.Channel));
            rule = assignment.Rule;
            queue = routed ? assignment.Queue : review;
            explanation.AddRange(routed
                ? assignment.Explanation
                : [$"queue: operators' review ({queue.Id}); would otherwise go to {assignment.Queue.Id} by rule {assignment.Rule}"]);
        }

        return new TriageDecision
        {
            ReportId = report.ReportId,
            Status = routed ? TriageStatus.Routed : TriageStatus.NeedsReview,
            Label = label,
            Confidence = confidence,
            Candidates = ranked.Take(_options.Candidates).Select(x => new LabelScore(x.Label.Code, x.P)).ToList(),
            Queue = queue,
            Context = context,
            Photo = photo,
            DeclaredToExifDistanceM = exifDistance,
            ModelName = model.Name,
            ModelVersion = model.Version,
            Rule = rule,
            Explanation = explanation,
        };
    }

    /// <summary>The decision for a report attached to an earlier one: no queue of its own, and why.</summary>
    public static TriageDecision AsDuplicate(TriageDecision decision, Duplicates.DuplicateMatch match) => decision with
    {
        Status = TriageStatus.Duplicate,
        DuplicateOf = match.OriginalId,
        Queue = new QueueRef("", ""),
        Explanation = [.. decision.Explanation, match.Reason, $"queue: none of its own; it follows report {match.OriginalId}"],
    };

    /// <summary>
    /// Probabilities to six decimals: what the caller reads and what the threshold is compared with are the same number
    /// (0.7, not 0.6999999999999998), and labels equal but for rounding noise tie.
    /// </summary>
    private static double Probability(double p) => Math.Round(p, 6);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
