using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Security;

/// <summary>In development mode, makes the key before the first call (so <c>fidamia token</c> finds it) and says where it is.</summary>
internal sealed partial class DevelopmentKeyAnnouncer(IOptions<AuthOptions> options, DevelopmentKeyFile key, ILogger<DevelopmentKeyAnnouncer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.IsDevelopmentMode)
        {
            _ = key.Key;
            LogDevelopmentKey(logger, key.Path);
        }
        else
        {
            LogIssuer(logger, options.Value.Authority!, options.Value.Audience);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning,
        Message = "Development mode: tokens signed with the key in {Path} are accepted (mint one with `fidamia token`); set Auth:Authority for the identity provider")]
    private static partial void LogDevelopmentKey(ILogger logger, string path);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Tokens from {Authority} for the audience {Audience} are accepted")]
    private static partial void LogIssuer(ILogger logger, string authority, string audience);
}
