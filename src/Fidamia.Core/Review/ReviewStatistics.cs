using Fidamia.Core.Pipeline;
using Fidamia.Core.Storage;

namespace Fidamia.Core.Review;

/// <summary>How often operators agreed with the model's label for reports whose model confidence fell in a band.</summary>
public sealed record AgreementBand(double From, double To, int Decided, int Agreed)
{
    public double? Rate => Decided > 0 ? (double)Agreed / Decided : null;
}

/// <summary>One model label's agreement per confidence band.</summary>
public sealed record LabelAgreement(string Label, IReadOnlyList<AgreementBand> Bands)
{
    public int Decided => Bands.Sum(b => b.Decided);

    public int Agreed => Bands.Sum(b => b.Agreed);
}

/// <summary>
/// What a data scientist sets thresholds from: per model label and per confidence band of a tenth, how many of the
/// reports an operator decided on they labelled as the model had. A band near 1 below the label's threshold says the
/// threshold is too cautious. Rejections count as disagreement; duplicates say nothing about the label.
/// </summary>
public static class ReviewStatistics
{
    private const int Bands = 10;

    public static IReadOnlyList<LabelAgreement> Agreement(IEnumerable<HumanOutcome> outcomes) =>
        outcomes
            .Where(o => o.ModelLabel is not null && o.HumanStatus is TriageStatus.Routed or TriageStatus.Rejected)
            .GroupBy(o => o.ModelLabel!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new LabelAgreement(g.Key, Enumerable.Range(0, Bands).Select(b =>
            {
                var inBand = g.Where(o => Band(o.ModelConfidence) == b).ToList();
                return new AgreementBand(b / (double)Bands, (b + 1) / (double)Bands, inBand.Count,
                    inBand.Count(o => o.HumanStatus == TriageStatus.Routed && o.HumanLabel == o.ModelLabel));
            }).Where(b => b.Decided > 0).ToList()))
            .ToList();

    /// <summary>[0, 0.1) is band 0 ... [0.9, 1.0] band 9.</summary>
    public static int Band(double confidence) => Math.Clamp((int)Math.Floor(confidence * Bands), 0, Bands - 1);
}
