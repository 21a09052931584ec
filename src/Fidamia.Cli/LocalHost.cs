using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Fidamia.Cli;

/// <summary>A host for the commands that run parts of the service in-process, read from the same settings as the service.</summary>
internal static class LocalHost
{
    /// <summary>
    /// The service's embedded defaults, then <paramref name="config"/> (e.g. its appsettings.json), then
    /// <c>--Key=value</c> settings. Logs go to stderr from warnings up, so that stdout stays the command's answer.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(FileInfo? config, string[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (config is not null)
        {
            builder.Configuration.AddJsonFile(config.FullName, optional: false);
        }

        builder.Configuration.AddCommandLine(settings);
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning)
            .AddSimpleConsole().Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        return builder;
    }
}
