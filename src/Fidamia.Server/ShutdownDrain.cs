using Fidamia.Core.Errors;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace Fidamia.Server;

/// <summary>
/// On SIGTERM, before Kestrel stops listening: readiness is already false (<see cref="Readiness"/> watches
/// ApplicationStopping) and <see cref="DrainingInterceptor"/> refuses new calls; this waits
/// <see cref="ServerOptions.DrainDelay"/>, then the host stops Kestrel, which lets calls in flight finish within the
/// grace period.
/// </summary>
public sealed partial class ShutdownDrain(IOptions<ServerOptions> options, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var server = options.Value;
        LogDraining(logger, server.DrainDelay.TotalSeconds, server.ShutdownGracePeriod.TotalSeconds);
        try
        {
            await Task.Delay(server.DrainDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout passed: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information,
        Message = "Shutting down: not ready, new calls refused for {DrainSeconds} s, then calls in flight have {GraceSeconds} s to finish")]
    private static partial void LogDraining(ILogger logger, double drainSeconds, double graceSeconds);
}

/// <summary>From SIGTERM on, new calls (health checks aside) are refused with UNAVAILABLE before any work.</summary>
public sealed class DrainingInterceptor(IHostApplicationLifetime lifetime) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested && !context.Method.StartsWith("/grpc.health.", StringComparison.Ordinal))
        {
            throw new UnavailableException("The service is shutting down; nothing was done: send the call again (another instance takes it)");
        }
    }
}
