using Microsoft.Extensions.Options;

namespace Fidamia.Core.Diagnostics;

/// <summary>
/// Start-up failures told the way a person fixing a setting needs them, by the service and the tool alike: every problem
/// found, one line each, once; the stack trace only when asked for (<c>--Logging:LogLevel:Default=Debug</c>).
/// </summary>
public static class StartupProblems
{
    public const string AskForDetail = "--Logging:LogLevel:Default=Debug";

    public static void Report(string who, Exception exception, TextWriter writer, bool verbose)
    {
        writer.WriteLine($"{who} cannot start:");
        foreach (var problem in Describe(exception))
        {
            writer.WriteLine("  - " + problem);
        }

        writer.WriteLine(verbose ? exception.ToString() : $"(add {AskForDetail} for the stack trace)");
    }

    /// <summary>One line per problem: every failure of every options class, the messages of the rest, without duplicates.</summary>
    public static IReadOnlyList<string> Describe(Exception exception)
    {
        var problems = new List<string>();
        Collect(exception, problems);
        return problems.Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Whether the settings ask for detail: the default log level at Debug or Trace.</summary>
    public static bool DetailAskedFor(string? defaultLogLevel) =>
        string.Equals(defaultLogLevel, "Debug", StringComparison.OrdinalIgnoreCase)
        || string.Equals(defaultLogLevel, "Trace", StringComparison.OrdinalIgnoreCase);

    private static void Collect(Exception exception, List<string> problems)
    {
        switch (exception)
        {
            case AggregateException aggregate:
                foreach (var inner in aggregate.InnerExceptions)
                {
                    Collect(inner, problems);
                }

                break;
            case OptionsValidationException validation:
                problems.AddRange(validation.Failures.Select(OneLine));
                break;
            case System.Reflection.TargetInvocationException or TypeInitializationException when exception.InnerException is not null:
                Collect(exception.InnerException, problems);
                break;
            default:
                // The service's own messages and the binder's ("Failed to convert configuration value 'x' at 'Key'...")
                // say what and where; their inner exceptions only repeat it in framework terms.
                problems.Add(OneLine(exception.Message));
                break;
        }
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
