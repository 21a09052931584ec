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
            var phase = await RunPhaseAsync(concurrency, plan.Duration, "measure", cancellationToken);
            var reading = probe?.End();
            results.Add(Summarise(concurrency, phase, reading, cancellationToken.IsCancellationRequested));
        }

        return results;
    }

    private static LevelResult Summarise(int concurrency, PhaseOutcome phase, ProbeReading? reading, bool interrupted)
    {
        var latencies = LatencySummary.Of(phase.LatencyTicks.Select(t => t * 1000.0 / Stopwatch.Frequency));
        var ok = phase.LatencyTicks.Count;
        double? cpuPerRequest = reading?.CpuSeconds is { } cpu && ok > 0 ? cpu / ok : null;
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
            SaturationRps = cpuPerRequest > 0 ? Environment.ProcessorCount / cpuPerRequest : null,
            PeakRssMb = reading?.PeakRssMb,
            HwmMb = reading?.HwmMb,
            Interrupted = interrupted,
        };
    }

    private async Task<PhaseOutcome> RunPhaseAsync(int concurrency, TimeSpan duration, string name, CancellationToken cancellationToken)
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
        if (progress is not null)
        {
            await ReportProgressAsync(all, concurrency, name, duration, started, counters);
        }

        var outcomes = await all;
        var elapsed = Stopwatch.GetElapsedTime(started);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in outcomes.SelectMany(o => o.Errors))
        {
            errors[code] = errors.GetValueOrDefault(code) + count;
        }

        return new PhaseOutcome(outcomes.SelectMany(o => o.LatencyTicks).ToList(), errors, elapsed);
    }

    private async Task<WorkerOutcome> WorkerAsync(long deadline, PhaseCounters counters, CancellationToken cancellationToken)
    {
        var latencies = new List<long>();
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

            if (error is null)
            {
                latencies.Add(ticks);
                Interlocked.Increment(ref counters.Ok);
            }
            else
            {
                errors[error] = errors.GetValueOrDefault(error) + 1;
                Interlocked.Increment(ref counters.Failed);
            }
        }

        return new WorkerOutcome(latencies, errors);
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

    private sealed record PhaseOutcome(IReadOnlyList<long> LatencyTicks, IReadOnlyDictionary<string, long> Errors, TimeSpan Elapsed);

    private sealed record WorkerOutcome(List<long> LatencyTicks, Dictionary<string, long> Errors);

    /// <summary>Shared by a phase's workers; fields so that Interlocked can take them by reference.</summary>
    private sealed class PhaseCounters
    {
        public long Issued;
        public long Ok;
        public long Failed;
    }
}
