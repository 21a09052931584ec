using Fidamia.Core.Pipeline;
using Microsoft.Extensions.Options;

namespace Fidamia.Server;

/// <summary>
/// Start-up failures told the way a person fixing a setting needs them: every problem found, one line each, once,
/// on stderr, and a non-zero exit; the stack trace only when asked for (<c>--Logging:LogLevel:Default=Debug</c>).
/// </summary>
public static class StartupProblems
{
    public const int ExitCode = 1;
    private const string LogCategory = "Fidamia.Server.Startup";

    /// <summary>
    /// Checks every setting (all options validated together), then builds the pipeline (taxonomy, layers, rules,
    /// model load and warm-up) before the host starts; runs the host if nothing failed.
    /// </summary>
    public static async Task<int> RunFidamiaAsync(this WebApplication app)
    {
        var verbose = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory).IsEnabled(LogLevel.Debug);
        try
        {
            app.Services.GetService<IStartupValidator>()?.Validate();
            app.Services.GetRequiredService<TriagePipeline>();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Report(ex, Console.Error, verbose);
            return ExitCode;
        }

        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Binding the endpoints (a port in use, a malformed URL) is the one check left to the host.
            Report(ex, Console.Error, verbose);
            return ExitCode;
        }
    }

    public static void Report(Exception exception, TextWriter writer, bool verbose)
    {
        writer.WriteLine("Fidamia cannot start:");
        foreach (var problem in Describe(exception))
        {
            writer.WriteLine("  - " + problem);
        }

        if (verbose)
        {
            writer.WriteLine(exception.ToString());
        }
        else
        {
            writer.WriteLine("(add --Logging:LogLevel:Default=Debug for the stack trace)");
        }
    }

    /// <summary>One line per problem: every failure of every options class, the messages of the rest, without duplicates.</summary>
    public static IReadOnlyList<string> Describe(Exception exception)
    {
        var problems = new List<string>();
        Collect(exception, problems);
        return problems.Distinct(StringComparer.Ordinal).ToArray();
    }

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
                var line = OneLine(exception.Message);
                problems.Add(line);
                break;
        }
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
