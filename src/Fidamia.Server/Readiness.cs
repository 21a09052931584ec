using Fidamia.Core.Models;

namespace Fidamia.Server;

/// <summary>
/// Whether the service should get traffic (<c>/readyz</c>): the pipeline built and a model warmed up and live, the
/// store answering, and not shutting down. Liveness (<c>/healthz</c>) asks none of this: a slow database must not get
/// the process restarted.
/// </summary>
public sealed class Readiness(PipelineReadyCheck pipeline, StoreHealthCheck store, IServiceProvider services, IHostApplicationLifetime lifetime)
{
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

        return await store.ProblemAsync(cancellationToken);
    }
}
