using System.CommandLine;
using Fidamia.Core;
using Fidamia.Gis;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Routing;
using Fidamia.Storage;
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

    /// <summary>The service's parts as the service composes them (without its gRPC host): what the in-process commands run.</summary>
    public static HostApplicationBuilder AddService(this HostApplicationBuilder builder)
    {
        builder.AddFidamiaCore();
        builder.AddFidamiaImaging();
        builder.AddFidamiaInference();
        builder.AddFidamiaGis();
        builder.AddFidamiaRouting();
        builder.AddFidamiaStorage();
        return builder;
    }

    /// <summary>
    /// The <c>--Key=value</c> settings left after a command's own options; false (with the reason on stderr) when
    /// something else was left.
    /// </summary>
    public static bool TrySettings(ParseResult result, out string[] settings)
    {
        settings = [.. result.UnmatchedTokens.Where(t => t.StartsWith("--", StringComparison.Ordinal) && t.Contains('=', StringComparison.Ordinal))];
        var stray = result.UnmatchedTokens.Except(settings).ToArray();
        if (stray.Length > 0)
        {
            Console.Error.WriteLine($"error: unrecognised arguments: {string.Join(' ', stray)} (settings are --Key=value)");
            return false;
        }

        return true;
    }
}
