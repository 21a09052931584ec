using System.CommandLine;

namespace Fidamia.Cli.Bench;

/// <summary>
/// <c>fidamia bench</c>: the same closed-loop measurement through the service (<c>load</c>) and
/// in-process (<c>pipeline</c>), so that what the service adds can be read as a ratio.
/// </summary>
internal static class BenchCommand
{
    public const int ExitNothingSucceeded = 1;
    public const int ExitUsage = 2;
    public const int ExitInterrupted = 130;

    public static Command Create() => new("bench", "Measure throughput and latency, through the service or in-process")
    {
        LoadBench.Create(),
        PipelineBench.Create(),
    };
}
