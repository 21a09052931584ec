using Fidamia.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fidamia.Server;

/// <summary>Whether the store answers: any read will do, it goes to the database and back, within 2 s.</summary>
public sealed class StoreHealthCheck(IServiceProvider services) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await ProblemAsync(cancellationToken) is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy("store answers");

    /// <summary>Null when the store answers; else why not, in a few words.</summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await services.GetRequiredService<IReportStore>().FindAsync("readiness-probe", timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"the store did not answer within {Timeout.TotalSeconds:0} s";
        }
        catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException or IOException)
        {
            return "the store does not answer";
        }
    }
}
