using System.Diagnostics;
using System.Globalization;

namespace Fidamia.Cli.Bench;

/// <summary>What to measure: the levels in turn, each after its warm-up, each bounded in time and in requests.</summary>
internal sealed record BenchPlan(IReadOnlyList<int> Levels, TimeSpan Duration, TimeSpan Warmup, int MaxRequests);

/// <summary>
/// The closed-loop measurement shared by <c>bench load</c> and <c>bench pipeline</c>: N workers send requests
/// back to back, each through <c>call(sequence, token)</c>, which answers null for a success or the failure's
/// status name. Only the calls of the measured window count; calls cut short by Ctrl+C count for nothing.
/// </summary>
internal sealed class BenchRunner(BenchPlan plan, Func<long, CancellationToken, Task<string?>> call, ProcessProbe? probe, TextWriter? progress)
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(500);

    /// <summary>How long after a swap ends its window still runs: calls queued behind it answer within it.</summary>
    private static readonly TimeSpan SwapTail = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Work done halfway through each measured level while the callers go on (a model swap): answers what it did and
    /// when it started and ended (Stopwatch timestamps). The level then also reports the calls around it.
    /// </summary>
    public Func<int, CancellationToken, Task<MidLevelEvent>>? MidLevel { get; init; }

    /// <summary>The bench's own process, when the probe watches another (<c>bench load</c>): its CPU is reported apart.</summary>
    public ProcessProbe? ClientProbe { get; init; }

    private long _sequence;

    /// <summary>Every level in turn; after Ctrl+C, the levels measured so far, the last one marked interrupted.</summary>
    public async Task<IReadOnlyList<LevelResult>> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<LevelResult>();
        foreach (var concurrency in plan.Levels)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (plan.Warmup > TimeSpan.Zero)
            {
                await RunPhaseAsync(concurrency, plan.Warmup, "warm-up", cancellationToken);
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }

            probe?.Begin();
            ClientProbe?.Begin();
            Task<MidLevelEvent>? midLevel = null;
            var phase = await RunPhaseAsync(concurrency, plan.Duration, "measure", cancellationToken, () => midLevel = MidLevel?.Invoke(concurrency, cancellationToken));
            var reading = probe?.End();
            var client = ClientProbe?.End();
            var result = Summarise(concurrency, phase, reading, cancellationToken.IsCancellationRequested);
            if (client?.CpuSeconds is { } clientCpu && result.Ok > 0)
            {
                result = result with { ClientCpuSPerRequest = clientCpu / result.Ok };
            }

            if (midLevel is not null)
            {
                result = result with { Swap = SummariseSwap(phase, await midLevel) };
            }

            results.Add(result);
        }

        return results;
    }

    private static LevelResult Summarise(int concurrency, PhaseOutcome phase, ProbeReading? reading, bool interrupted)
    {
        var latencies = LatencySummary.Of(phase.Calls.Where(c => c.Error is null).Select(c => c.Ticks * 1000.0 / Stopwatch.Frequency));
        var ok = phase.Calls.Count(c => c.Error is null);
        double? cpuPerRequest = reading?.CpuSeconds is { } cpu && ok > 0 ? cpu / ok : null;
        double? cpuPerCall = reading?.CpuSeconds is { } total && phase.Calls.Count > 0 ? total / phase.Calls.Count : null;
        return new LevelResult
        {
            Concurrency = concurrency,
            Ok = ok,
            ElapsedS = phase.Elapsed.TotalSeconds,
            Rps = phase.Elapsed > TimeSpan.Zero ? ok / phase.Elapsed.TotalSeconds : 0,
            P50Ms = latencies?.P50,
            P95Ms = latencies?.P95,
            P99Ms = latencies?.P99,
            MaxMs = latencies?.Max,
            MeanMs = latencies?.Mean,
            Errors = phase.Errors,
            CpuSPerRequest = cpuPerRequest,
            CpuSPerCall = cpuPerCall,
            SaturationRps = cpuPerRequest > 0 ? Environment.ProcessorCount / cpuPerRequest : null,
            PeakRssMb = reading?.PeakRssMb,
            HwmMb = reading?.HwmMb,
            Interrupted = interrupted,
        };
    }

    /// <summary>The calls that ended before the swap began against those that overlapped it or its tail.</summary>
    private static SwapSummary SummariseSwap(PhaseOutcome phase, MidLevelEvent swap)
    {
        var tail = (long)(SwapTail.TotalSeconds * Stopwatch.Frequency);
        var before = phase.Calls.Where(c => c.Start + c.Ticks < swap.Started).ToList();
        var during = phase.Calls.Where(c => c.Start + c.Ticks >= swap.Started && c.Start <= swap.Ended + tail).ToList();
        static double? P99(List<CallSample> calls) =>
            LatencySummary.Of(calls.Where(c => c.Error is null).Select(c => c.Ticks * 1000.0 / Stopwatch.Frequency))?.P99;
        return new SwapSummary
        {
            What = swap.What,
            Error = swap.Error,
            AtS = (swap.Started - phase.Started) / (double)Stopwatch.Frequency,
            TookMs = (swap.Ended - swap.Started) * 1000.0 / Stopwatch.Frequency,
            CallsBefore = before.Count,
            P99BeforeMs = P99(before),
            CallsDuring = during.Count,
            FailedDuring = during.Count(c => c.Error is not null),
            P99DuringMs = P99(during),
        };
    }

    private async Task<PhaseOutcome> RunPhaseAsync(int concurrency, TimeSpan duration, string name, CancellationToken cancellationToken, Action? halfway = null)
    {
        var counters = new PhaseCounters();
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task<WorkerOutcome>[concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            // Task.Run: a call that runs synchronously (the in-process pipeline) must not hold up starting the next worker.
            workers[i] = Task.Run(() => WorkerAsync(deadline, counters, cancellationToken), CancellationToken.None);
        }

        var all = Task.WhenAll(workers);
        var halfwayDone = halfway is null ? Task.CompletedTask : Task.Run(
            async () =>
            {
                await Task.WhenAny(all, Task.Delay(duration / 2, CancellationToken.None));
                halfway();
            },
            CancellationToken.None);
        if (progress is not null)
        {
            await ReportProgressAsync(all, concurrency, name, duration, started, counters);
        }

        await halfwayDone;

        var outcomes = await all;
        var elapsed = Stopwatch.GetElapsedTime(started);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in outcomes.SelectMany(o => o.Errors))
        {
            errors[code] = errors.GetValueOrDefault(code) + count;
        }

        return new PhaseOutcome(outcomes.SelectMany(o => o.Calls).ToList(), errors, elapsed, started);
    }

    private async Task<WorkerOutcome> WorkerAsync(long deadline, PhaseCounters counters, CancellationToken cancellationToken)
    {
        var calls = new List<CallSample>();
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        while (!cancellationToken.IsCancellationRequested
            && Stopwatch.GetTimestamp() < deadline
            && Interlocked.Increment(ref counters.Issued) <= plan.MaxRequests)
        {
            var sequence = Interlocked.Increment(ref _sequence);
            var started = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                error = await call(sequence, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            var ticks = Stopwatch.GetTimestamp() - started;
            if (cancellationToken.IsCancellationRequested)
            {
                break; // its failure, if any, is ours
            }

            calls.Add(new CallSample(started, ticks, error));
            if (error is null)
            {
                Interlocked.Increment(ref counters.Ok);
            }
            else
            {
                errors[error] = errors.GetValueOrDefault(error) + 1;
                Interlocked.Increment(ref counters.Failed);
            }
        }

        return new WorkerOutcome(calls, errors);
    }

    private async Task ReportProgressAsync(Task workers, int concurrency, string name, TimeSpan duration, long started, PhaseCounters counters)
    {
        var width = 0;
        while (!workers.IsCompleted)
        {
            await Task.WhenAny(workers, Task.Delay(ProgressEvery, CancellationToken.None));
            var line = string.Create(
                CultureInfo.InvariantCulture,
                $"concurrency {concurrency} {name} {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0}/{duration.TotalSeconds:0.#} s  ok {Volatile.Read(ref counters.Ok)}  errors {Volatile.Read(ref counters.Failed)}");
            width = Math.Max(width, line.Length);
            progress!.Write("\r" + line.PadRight(width));
            progress.Flush();
        }

        progress!.Write("\r" + new string(' ', width) + "\r");
        progress.Flush();
    }

    /// <summary>One call: when it started (Stopwatch timestamp), how long it took, and its failure if any.</summary>
    private sealed record CallSample(long Start, long Ticks, string? Error);

    private sealed record PhaseOutcome(IReadOnlyList<CallSample> Calls, IReadOnlyDictionary<string, long> Errors, TimeSpan Elapsed, long Started);

    private sealed record WorkerOutcome(List<CallSample> Calls, Dictionary<string, long> Errors);

    /// <summary>Shared by a phase's workers; fields so that Interlocked can take them by reference.</summary>
    private sealed class PhaseCounters
    {
        public long Issued;
        public long Ok;
        public long Failed;
    }
}

/// <summary>What <see cref="BenchRunner.MidLevel"/> did: a description, its failure if any, and when it ran (Stopwatch timestamps).</summary>
internal sealed record MidLevelEvent(string What, string? Error, long Started, long Ended);
