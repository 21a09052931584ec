using Fidamia.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Storage;

/// <summary>
/// Runs <see cref="PhotoRetention"/> at start and then every <see cref="StorageOptions.PhotoRetentionSweepInterval"/>
/// when <c>Storage:PhotoRetentionDays</c> is set. A failed sweep is logged and tried again at the next one: nothing it
/// left undone is lost, the next sweep finds the same photos.
/// </summary>
internal sealed partial class PhotoRetentionService(
    PhotoRetention retention, IOptions<StorageOptions> options, TimeProvider clock, ILogger<PhotoRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.PhotoRetentionDays is not { } days)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await retention.SweepAsync(TimeSpan.FromDays(days), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, ex);
            }

            try
            {
                await Task.Delay(options.Value.PhotoRetentionSweepInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Photo retention sweep failed; the next sweep tries again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
