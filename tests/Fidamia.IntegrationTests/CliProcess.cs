using System.Diagnostics;

namespace Fidamia.IntegrationTests;

/// <summary>The built <c>fidamia</c> tool run as its own process, as a user runs it (stderr redirected: no progress line).</summary>
internal static class CliProcess
{
    /// <summary>Starts the tool and returns at once, its output read and dropped (for tests that stop it themselves).</summary>
    public static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["FIDAMIA_DEVELOPMENT_KEY"] = TestTokens.KeyPath;
        start.ArgumentList.Add(ServerProcess.BuildOutput("Fidamia.Cli", "fidamia.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test servers' development key: the tool mints its own token with it, as next to a development server.
        start.Environment["FIDAMIA_DEVELOPMENT_KEY"] = TestTokens.KeyPath;
        start.ArgumentList.Add(ServerProcess.BuildOutput("Fidamia.Cli", "fidamia.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
