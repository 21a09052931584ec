using System.Diagnostics;
using System.Globalization;

namespace Fidamia.Cli.Bench;

/// <summary>What a process spent over one measured level; null where the process could not be read.</summary>
internal sealed record ProbeReading(double? CpuSeconds, double? PeakRssMb, double? HwmMb);

/// <summary>
/// Watches one Linux process through /proc during a level: its resident memory every 250 ms (the peak
/// of those samples), its VmHWM at the end, and its CPU time (utime + stime) before and after.
/// </summary>
internal sealed class ProcessProbe : IDisposable
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(250);

    private readonly Process _process;
    private readonly string _statusPath;
    private readonly Lock _lock = new();
    private Timer? _timer;
    private TimeSpan? _cpuAtBegin;
    private long _peakRssKb;

    private ProcessProbe(int processId, Process process)
    {
        _process = process;
        _statusPath = $"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/status";
    }

    /// <summary>Null where /proc/PID/status does not exist (not Linux, or no such process).</summary>
    public static ProcessProbe? TryOpen(int processId)
    {
        if (!File.Exists($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            return null;
        }

        try
        {
            return new ProcessProbe(processId, Process.GetProcessById(processId));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public void Begin()
    {
        _cpuAtBegin = CpuTime();
        lock (_lock)
        {
            _peakRssKb = ReadKb("VmRSS:") ?? 0;
        }

        _timer = new Timer(_ => Sample(), null, SampleEvery, SampleEvery);
    }

    public ProbeReading End()
    {
        _timer?.Dispose();
        _timer = null;
        Sample();
        var cpu = CpuTime();
        var hwm = ReadKb("VmHWM:");
        long peak;
        lock (_lock)
        {
            peak = _peakRssKb;
        }

        return new ProbeReading(
            cpu is { } end && _cpuAtBegin is { } begin ? (end - begin).TotalSeconds : null,
            peak > 0 ? peak / 1024.0 : null,
            hwm / 1024.0);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _process.Dispose();
    }

    private void Sample()
    {
        if (ReadKb("VmRSS:") is { } rss)
        {
            lock (_lock)
            {
                _peakRssKb = Math.Max(_peakRssKb, rss);
            }
        }
    }

    /// <summary>
    /// utime + stime of /proc/PID/stat; Process reads exactly those and converts the kernel's clock ticks,
    /// whose rate (USER_HZ) .NET has no public API for.
    /// </summary>
    private TimeSpan? CpuTime()
    {
        try
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
        catch (InvalidOperationException)
        {
            return null; // it exited
        }
    }

    private long? ReadKb(string field)
    {
        try
        {
            foreach (var line in File.ReadLines(_statusPath))
            {
                if (line.StartsWith(field, StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
                {
                    return kb;
                }
            }
        }
        catch (IOException)
        {
            // The process exited between two samples: keep what was seen.
        }

        return null;
    }
}
