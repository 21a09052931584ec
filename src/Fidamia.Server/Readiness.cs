using Fidamia.Core.Models;
using Fidamia.Core.Storage;

namespace Fidamia.Server;

/// <summary>
/// Whether the service should get traffic (<c>/readyz</c>): the pipeline built and a model warmed up and live, the
/// store answering, and not shutting down. Liveness (<c>/healthz</c>) asks none of this: a slow database must not get
/// the process restarted.
/// </summary>
public sealed class Readiness(PipelineReadyCheck pipeline, IServiceProvider services, IHostApplicationLifetime lifetime)
{
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Null when ready; else why not, in a few words.</summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return "shutting down";
        }

        if (!pipeline.IsReady)
        {
            return "starting (pipeline and model warming up)";
        }

        var live = services.GetRequiredService<LiveModel>().Current;
        if (live.Released)
        {
            return "no live model";
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StoreTimeout);
        try
        {
            // Any read will do: it goes to the database and back.
            await services.GetRequiredService<IReportStore>().FindAsync("readiness-probe", timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"the store did not answer within {StoreTimeout.TotalSeconds:0} s";
        }
        catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException or IOException)
        {
            return "the store does not answer";
        }
    }
}
