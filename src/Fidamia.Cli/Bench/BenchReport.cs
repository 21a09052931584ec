using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fidamia.Cli.Bench;

/// <summary>One concurrency level as measured: the successful calls' throughput and latencies, the failures by status.</summary>
internal sealed record LevelResult
{
    [JsonPropertyName("concurrency")]
    public required int Concurrency { get; init; }

    [JsonPropertyName("ok")]
    public required long Ok { get; init; }

    /// <summary>From the first request to the last answer (the in-flight calls at the end of the duration are waited for).</summary>
    [JsonPropertyName("elapsed_s")]
    public required double ElapsedS { get; init; }

    [JsonPropertyName("rps")]
    public required double Rps { get; init; }

    [JsonPropertyName("p50_ms")]
    public double? P50Ms { get; init; }

    [JsonPropertyName("p95_ms")]
    public double? P95Ms { get; init; }

    [JsonPropertyName("p99_ms")]
    public double? P99Ms { get; init; }

    [JsonPropertyName("max_ms")]
    public double? MaxMs { get; init; }

    [JsonPropertyName("mean_ms")]
    public double? MeanMs { get; init; }

    [JsonPropertyName("errors")]
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    /// <summary>CPU seconds the watched process spent per successful request over the measured window.</summary>
    [JsonPropertyName("cpu_s_per_request")]
    public double? CpuSPerRequest { get; init; }

    /// <summary>
    /// CPU seconds the watched process spent per answered call, refusals included: with reports the service refuses
    /// (a point outside the territory, say), what receiving a photo and answering costs without the work on it.
    /// </summary>
    [JsonPropertyName("cpu_s_per_call")]
    public double? CpuSPerCall { get; init; }

    /// <summary>The throughput the cores allow at that cost: processor count / CPU seconds per request.</summary>
    [JsonPropertyName("saturation_rps")]
    public double? SaturationRps { get; init; }

    /// <summary>CPU per request against the floor measured in the same run (<see cref="FloorResult"/>).</summary>
    [JsonPropertyName("cpu_vs_floor")]
    public double? CpuVsFloor { get; init; }

    /// <summary><c>bench load</c>: CPU seconds the load tool itself spent per successful request, apart from the server's.</summary>
    [JsonPropertyName("client_cpu_s_per_request")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ClientCpuSPerRequest { get; init; }

    [JsonPropertyName("peak_rss_mb")]
    public double? PeakRssMb { get; init; }

    [JsonPropertyName("hwm_mb")]
    public double? HwmMb { get; init; }

    /// <summary>Cut short by Ctrl+C: its numbers cover less than the duration.</summary>
    [JsonPropertyName("interrupted")]
    public bool Interrupted { get; init; }

    /// <summary>With <c>--swap</c>: the model swap made halfway through the level and the calls around it.</summary>
    [JsonPropertyName("swap")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SwapSummary? Swap { get; init; }
}

/// <summary>A model swap under load: the calls that ended before it against those that overlapped it or the second after it.</summary>
internal sealed record SwapSummary
{
    /// <summary>From which version to which.</summary>
    [JsonPropertyName("what")]
    public required string What { get; init; }

    /// <summary>The swap's own failure (its status and message), if it failed.</summary>
    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    /// <summary>When it began, from the start of the measured window.</summary>
    [JsonPropertyName("at_s")]
    public required double AtS { get; init; }

    [JsonPropertyName("took_ms")]
    public required double TookMs { get; init; }

    [JsonPropertyName("calls_before")]
    public required int CallsBefore { get; init; }

    [JsonPropertyName("p99_before_ms")]
    public double? P99BeforeMs { get; init; }

    [JsonPropertyName("calls_during")]
    public required int CallsDuring { get; init; }

    [JsonPropertyName("failed_during")]
    public required int FailedDuring { get; init; }

    [JsonPropertyName("p99_during_ms")]
    public double? P99DuringMs { get; init; }
}

/// <summary>A whole bench run, printed as a table or as one JSON document.</summary>
internal sealed record BenchReport
{
    [JsonPropertyName("mode")]
    public required string Mode { get; init; }

    [JsonPropertyName("server")]
    public string? Server { get; init; }

    [JsonPropertyName("photos")]
    public required int Photos { get; init; }

    [JsonPropertyName("duration_s")]
    public required double DurationS { get; init; }

    [JsonPropertyName("warmup_s")]
    public required double WarmupS { get; init; }

    [JsonPropertyName("max_requests")]
    public required int MaxRequests { get; init; }

    [JsonPropertyName("processor_count")]
    public int ProcessorCount { get; init; } = Environment.ProcessorCount;

    [JsonPropertyName("interrupted")]
    public bool Interrupted { get; init; }

    [JsonPropertyName("levels")]
    public required IReadOnlyList<LevelResult> Levels { get; init; }

    /// <summary>With <c>--compare-store</c>: the same levels without the store, and the throughput ratios.</summary>
    [JsonPropertyName("store_comparison")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StoreComparison? StoreComparison { get; init; }

    /// <summary>The decode + inference floor measured before and after the levels; null with <c>--floor 0</c>.</summary>
    [JsonPropertyName("floor")]
    public FloorResult? Floor { get; init; }

    [JsonIgnore]
    public long TotalOk => Levels.Sum(l => l.Ok);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The report of a finished (or interrupted) run of either bench command.</summary>
    public static BenchReport Of(string mode, string? server, BenchSettings settings, IReadOnlyList<LevelResult> levels, bool interrupted) => new()
    {
        Mode = mode,
        Server = server,
        Photos = settings.Photos.Count,
        DurationS = settings.Plan.Duration.TotalSeconds,
        WarmupS = settings.Plan.Warmup.TotalSeconds,
        MaxRequests = settings.Plan.MaxRequests,
        Interrupted = interrupted,
        Levels = levels,
    };

    /// <summary>The report with its floor, and each level's CPU per request against it.</summary>
    public BenchReport WithFloor(FloorResult? floor) => floor is null ? this : this with
    {
        Floor = floor,
        Levels = [.. Levels.Select(l => l with { CpuVsFloor = l.CpuSPerRequest * 1000 / floor.CpuMsPerPhoto })],
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToTable()
    {
        var withCpu = Levels.Any(l => l.CpuSPerRequest is not null);
        var withMemory = Levels.Any(l => l.PeakRssMb is not null);
        var withFloor = Levels.Any(l => l.CpuVsFloor is not null);
        var withClient = Levels.Any(l => l.ClientCpuSPerRequest is not null);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"bench {Mode}: {(Server is null ? "in-process pipeline" : Server)}, {Photos} photos, {DurationS:0.###} s per level after {WarmupS:0.###} s warm-up, {ProcessorCount} cores"));
        text.Append(Invariant($"{"concurrency",11} {"ok",8} {"rps",8} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8}"));
        if (withCpu)
        {
            text.Append(Invariant($" {"cpu ms/req",10} {"sat rps",8}"));
        }

        if (withFloor)
        {
            text.Append(Invariant($" {"x floor",8}"));
        }

        if (withClient)
        {
            text.Append(Invariant($" {"tool ms/req",11}"));
        }

        if (withMemory)
        {
            text.Append(Invariant($" {"peak MB",8}"));
        }

        text.AppendLine("  errors");
        foreach (var level in Levels)
        {
            text.Append(Invariant($"{level.Concurrency,11} {level.Ok,8} {level.Rps,8:0.00} {Ms(level.P50Ms),8} {Ms(level.P95Ms),8} {Ms(level.P99Ms),8} {Ms(level.MaxMs),8}"));
            if (withCpu)
            {
                text.Append(Invariant($" {Ms(level.CpuSPerRequest * 1000),10} {Number(level.SaturationRps),8}"));
            }

            if (withFloor)
            {
                text.Append(Invariant($" {Ratio(level.CpuVsFloor),8}"));
            }

            if (withClient)
            {
                text.Append(Invariant($" {Ms(level.ClientCpuSPerRequest * 1000),11}"));
            }

            if (withMemory)
            {
                text.Append(Invariant($" {Number(level.PeakRssMb),8}"));
            }

            text.Append("  ").Append(level.Errors.Count == 0 ? "none" : string.Join(' ', level.Errors.Select(e => Invariant($"{e.Key}:{e.Value}"))));
            text.AppendLine(level.Interrupted ? "  (interrupted)" : "");
        }

        foreach (var level in Levels.Where(l => l.Swap is not null))
        {
            var swap = level.Swap!;
            text.AppendLine(Invariant(
                $"concurrency {level.Concurrency}: swap {swap.What} at {swap.AtS:0.0} s took {swap.TookMs:0} ms{(swap.Error is null ? "" : $" and FAILED ({swap.Error})")}; p99 before {Ms(swap.P99BeforeMs)} ms ({swap.CallsBefore} calls), during it and the second after {Ms(swap.P99DuringMs)} ms ({swap.CallsDuring} calls, {swap.FailedDuring} failed)"));
        }

        if (Levels.LastOrDefault(l => l.HwmMb is not null) is { HwmMb: { } hwm })
        {
            text.AppendLine(Invariant($"peak resident memory (VmHWM) at the end: {hwm:0.0} MB"));
        }

        if (Floor is { } floor)
        {
            text.AppendLine(Invariant(
                $"floor ({floor.Model}, {floor.Precision}; Skia's scaled decode + one run at 1 thread, on one thread): {floor.CpuMsPerPhoto:0.0} ms CPU per photo (decode {floor.DecodeMsPerPhoto:0.0} + inference {floor.InferenceMsPerPhoto:0.0}; before the levels {floor.BeforeMs:0.0}, after {Ms(floor.AfterMs)}; {floor.Runs} runs)"));
        }

        if (StoreComparison is { } comparison)
        {
            text.AppendLine(comparison.ToTable());
        }

        return text.ToString().TrimEnd();
    }

    private static string Ms(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string Ratio(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";

    private static string Number(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
