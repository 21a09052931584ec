using System.Collections.Frozen;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Fusion;

/// <summary>How far a declared category is trusted, and on how many operator decisions that rests.</summary>
public readonly record struct Reliability(double Rho, int Decisions);

/// <summary>
/// The reliability of declared categories, learnt from operators' decisions: per channel, then per channel and declared
/// label, each a Beta posterior mean whose prior is the level above (the configured rho for a channel, the channel's for
/// a label) weighing <see cref="TriageOptions.ReliabilityPriorWeight"/> decisions, so a handful of decisions cannot swing
/// it. A declaration counts as right when the operator's label is the declared one, wrong when it is another or the
/// report is rejected; duplicates say nothing about it. Thread-safe: reads take an immutable snapshot.
/// </summary>
public sealed class DeclarationReliability(IOptions<TriageOptions> options)
{
    private const double Lowest = 0.05;
    private const double Highest = 0.99;
    private readonly TriageOptions _options = options.Value;
    private Snapshot _snapshot = Snapshot.Empty;

    public Reliability For(ReportChannel channel, string declaredCode)
    {
        var snapshot = _snapshot;
        return snapshot.ByLabel.TryGetValue((channel, declaredCode), out var label) ? label
            : snapshot.ByChannel.TryGetValue(channel, out var byChannel) ? byChannel
            : new Reliability(_options.DeclaredCategoryReliability, 0);
    }

    /// <summary>Every learnt value: per channel (declared label null) and per channel and declared label.</summary>
    public IReadOnlyList<(ReportChannel Channel, string? Declared, Reliability Reliability)> All =>
        [.. _snapshot.ByChannel.Select(c => (c.Key, (string?)null, c.Value)), .. _snapshot.ByLabel.Select(l => (l.Key.Channel, (string?)l.Key.Code, l.Value))];

    /// <summary>Learns again from the operators' decisions (all of them, not only the new ones).</summary>
    public void Learn(IEnumerable<HumanOutcome> outcomes)
    {
        var counted = outcomes
            .Where(o => o.DeclaredCategory is { Length: > 0 } && o.HumanStatus is TriageStatus.Routed or TriageStatus.Rejected)
            .Select(o => (o.Channel, Code: o.DeclaredCategory!, Right: o.HumanStatus == TriageStatus.Routed && o.HumanLabel == o.DeclaredCategory))
            .ToList();
        var weight = _options.ReliabilityPriorWeight;
        var byChannel = counted.GroupBy(c => c.Channel).ToFrozenDictionary(
            g => g.Key, g => Posterior(_options.DeclaredCategoryReliability, weight, g.Count(c => c.Right), g.Count()));
        var byLabel = counted.GroupBy(c => (c.Channel, c.Code)).ToFrozenDictionary(
            g => g.Key, g => Posterior(byChannel[g.Key.Channel].Rho, weight, g.Count(c => c.Right), g.Count()));
        _snapshot = new Snapshot(byChannel, byLabel);
    }

    /// <summary>The Beta(prior x weight, (1 - prior) x weight) posterior mean after <paramref name="right"/> of <paramref name="total"/>.</summary>
    public static Reliability Posterior(double prior, double weight, int right, int total) =>
        new(Math.Clamp(((prior * weight) + right) / (weight + total), Lowest, Highest), total);

    private sealed record Snapshot(
        FrozenDictionary<ReportChannel, Reliability> ByChannel, FrozenDictionary<(ReportChannel Channel, string Code), Reliability> ByLabel)
    {
        public static readonly Snapshot Empty = new(
            FrozenDictionary<ReportChannel, Reliability>.Empty, FrozenDictionary<(ReportChannel, string), Reliability>.Empty);
    }
}
