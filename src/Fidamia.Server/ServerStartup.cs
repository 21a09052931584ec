using Fidamia.Core.Diagnostics;
using Fidamia.Core.Pipeline;
using Microsoft.Extensions.Options;

namespace Fidamia.Server;

public static class ServerStartup
{
    public const int ExitCode = 1;

    /// <summary>
    /// Checks every setting (all options validated together), then builds the pipeline (taxonomy, layers, rules,
    /// model load and warm-up) before the host starts, and runs the host if nothing failed. A failure is reported by
    /// <see cref="StartupProblems"/> on stderr, and the exit code is 1.
    /// </summary>
    public static async Task<int> RunFidamiaAsync(this WebApplication app)
    {
        var verbose = StartupProblems.DetailAskedFor(app.Configuration["Logging:LogLevel:Default"]);
        try
        {
            app.Services.GetService<IStartupValidator>()?.Validate();
            app.Services.GetRequiredService<TriagePipeline>();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            StartupProblems.Report("Fidamia", ex, Console.Error, verbose);
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
            StartupProblems.Report("Fidamia", ex, Console.Error, verbose);
            return ExitCode;
        }
    }
}
