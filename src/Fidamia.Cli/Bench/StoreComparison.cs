using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Fidamia.Core.Storage;

namespace Fidamia.Cli.Bench;

/// <summary>
/// <c>bench pipeline --compare-store</c>: the same pipeline run with the configured store and with reports kept nowhere,
/// in alternating order, so that what the store costs a report reads as one throughput ratio from one run. The
/// "nowhere" variant exists only here: the service itself has no switch that would answer reports it does not keep.
/// </summary>
internal sealed record StoreComparison
{
    /// <summary>The configured provider: what "with the store" measured.</summary>
    [JsonPropertyName("provider")]
    public required string Provider { get; init; }

    [JsonPropertyName("rounds")]
    public required int Rounds { get; init; }

    /// <summary>Every level of every round without the store (the report's <c>levels</c> are those with it).</summary>
    [JsonPropertyName("without_store_levels")]
    public required IReadOnlyList<LevelResult> WithoutStoreLevels { get; init; }

    [JsonPropertyName("ratios")]
    public required IReadOnlyList<StoreRatio> Ratios { get; init; }

    /// <summary>Per concurrency: successful calls over measured time, all rounds together, with against without.</summary>
    public static StoreComparison Of(string provider, int rounds, IReadOnlyList<LevelResult> with, IReadOnlyList<LevelResult> without) => new()
    {
        Provider = provider,
        Rounds = rounds,
        WithoutStoreLevels = without,
        Ratios = with.Select(l => l.Concurrency).Distinct().Select(concurrency =>
        {
            var withRps = Rps(with, concurrency);
            var withoutRps = Rps(without, concurrency);
            return new StoreRatio(concurrency, withRps, withoutRps, withoutRps > 0 ? withRps / withoutRps : null);
        }).ToList(),
    };

    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"without the store (reports kept nowhere), {Rounds} rounds alternating with {Provider}:"));
        foreach (var level in WithoutStoreLevels)
        {
            text.AppendLine(Invariant($"{level.Concurrency,11} {level.Ok,8} {level.Rps,8:0.00}  {(level.Errors.Count == 0 ? "none" : string.Join(' ', level.Errors.Select(e => Invariant($"{e.Key}:{e.Value}"))))}"));
        }

        text.AppendLine(Invariant($"throughput with the store ({Provider}) / without:"));
        foreach (var ratio in Ratios)
        {
            var value = ratio.Ratio is { } r ? r.ToString("0.000", CultureInfo.InvariantCulture) + "x" : "-";
            text.AppendLine(Invariant($"{ratio.Concurrency,11} {value,8}  ({ratio.WithStoreRps:0.00} vs {ratio.WithoutStoreRps:0.00} reports/s)"));
        }

        return text.ToString().TrimEnd();
    }

    private static double Rps(IReadOnlyList<LevelResult> levels, int concurrency)
    {
        var measured = levels.Where(l => l.Concurrency == concurrency).ToList();
        var elapsed = measured.Sum(l => l.ElapsedS);
        return elapsed > 0 ? measured.Sum(l => l.Ok) / elapsed : 0;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

internal sealed record StoreRatio(
    [property: JsonPropertyName("concurrency")] int Concurrency,
    [property: JsonPropertyName("with_store_rps")] double WithStoreRps,
    [property: JsonPropertyName("without_store_rps")] double WithoutStoreRps,
    [property: JsonPropertyName("ratio")] double? Ratio);

/// <summary>Keeps no report: every id is new, every report is "stored" at once, none is near another. For the comparison only.</summary>
internal sealed class UnkeptReports : IReportStore, IReviewStore
{
    public Task<IReadOnlyList<ReceivedReport>> ListReceivedAsync(DateTimeOffset since, ReceivedReport? after, int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ReceivedReport>>([]);

    public Task<long> CountReceivedAsync(DateTimeOffset since, CancellationToken cancellationToken) => Task.FromResult(0L);

    public Task<PendingPage> ListPendingAsync(PendingFilter filter, int pageSize, PendingCursor? after, DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<IReadOnlyList<Core.Duplicates.NearbyReport>> FindNearbyAsync(
        double lat, double lon, double radiusM, DateTimeOffset since, string? excluding, int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Core.Duplicates.NearbyReport>>([]);

    public Task<(ClaimOutcome Outcome, ReviewClaim? Claim)> ClaimAsync(
        string reportId, string operatorName, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ReviewClaim?> FindClaimAsync(string reportId, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<HumanDecisionOutcome> ApplyAsync(HumanDecision human, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<HumanOutcome>> ReadHumanOutcomesAsync(DateTimeOffset since, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<StoredReport?> FindAsync(string reportId, CancellationToken cancellationToken) => Task.FromResult<StoredReport?>(null);

    public Task<StoredReport?> AddAsync(ReportRecord report, DecisionRecord decision, CancellationToken cancellationToken) =>
        Task.FromResult<StoredReport?>(null);

    public Task<IReadOnlyList<string>> FindExpiredPhotosAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task<int> MarkPhotoDeletedAsync(string photoSha256, DateTimeOffset cutoff, DateTimeOffset at, CancellationToken cancellationToken) =>
        Task.FromResult(0);
}

/// <summary>Keeps no photo (no stripping, no hash, no file). For the comparison only.</summary>
internal sealed class UnkeptPhotos : IPhotoArchive
{
    private static readonly string None = new('0', 64);

    public Task<string> KeepAsync(ReadOnlyMemory<byte> photo, CancellationToken cancellationToken) => Task.FromResult(None);

    public bool Delete(string photoSha256, DateTimeOffset keptSince) => true;

    public Task<byte[]?> ReadAsync(string photoSha256, CancellationToken cancellationToken) => Task.FromResult<byte[]?>(null);
}
