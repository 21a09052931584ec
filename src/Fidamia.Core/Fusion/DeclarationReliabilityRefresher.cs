using Fidamia.Core.Diagnostics;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Fusion;

/// <summary>
/// Learns the reliability of declarations from the operators' decisions in the store: at start, before the service
/// serves, and then every <see cref="TriageOptions.ReliabilityRefreshInterval"/>, so every instance learns from every
/// operator.
/// </summary>
public sealed class DeclarationReliabilityRefresher(
    DeclarationReliability reliability, IReviewStore reviews, IOptions<TriageOptions> options, TimeProvider clock, ILogger<DeclarationReliabilityRefresher> logger)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.ReliabilityRefreshInterval, clock, stoppingToken);
                await RefreshAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException or IOException)
            {
                Log.ReliabilityRefreshFailed(logger, ex);
            }
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken) =>
        reliability.Learn(await reviews.ReadHumanOutcomesAsync(clock.GetUtcNow() - options.Value.ReliabilityWindow, cancellationToken));
}
