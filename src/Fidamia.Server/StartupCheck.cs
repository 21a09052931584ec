using Fidamia.Core.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fidamia.Server;

/// <summary>
/// Builds the whole pipeline at start (taxonomy, layers, model load and warm-up), so a missing
/// or mismatched model or layer stops start-up with its message instead of failing the first report.
/// </summary>
public sealed partial class StartupCheck(IServiceProvider services, PipelineReadyCheck ready, ILogger<StartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<TriagePipeline>();
        ready.MarkReady();
        LogReady(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Triage pipeline ready")]
    private static partial void LogReady(ILogger logger);
}

/// <summary>grpc.health.v1 answers SERVING only once the pipeline is built and the model warmed up, and until shutdown begins.</summary>
public sealed class PipelineReadyCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    private volatile bool _ready;

    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Unhealthy("shutting down")
            : _ready ? HealthCheckResult.Healthy("pipeline ready")
            : HealthCheckResult.Unhealthy("starting"));
}
