using Fidamia.Core;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Options;

namespace Fidamia.Server;

/// <summary>
/// Reads the queues' depth and oldest age every <see cref="Interval"/> for the gauges (<c>fidamia.queue.*</c>,
/// <c>fidamia.review.*</c>): a scrape then costs no query, whoever scrapes and however often.
/// </summary>
public sealed partial class QueueGauges(IQueueStore queues, FidamiaMetrics metrics, IOptions<TriageOptions> triage, TimeProvider clock, ILogger<QueueGauges> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                metrics.QueuesRead(await queues.StatsAsync(stoppingToken), triage.Value.ReviewQueueId);
                await Task.Delay(Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException or IOException)
            {
                LogFailed(logger, ex);
                await Task.Delay(Interval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Reading the queues for the gauges failed; trying again at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
