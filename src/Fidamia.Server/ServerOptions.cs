using System.ComponentModel.DataAnnotations;

namespace Fidamia.Server;

/// <summary>How the service stops (section <c>Server</c>).</summary>
public sealed class ServerOptions
{
    public const string SectionName = "Server";

    /// <summary>
    /// After SIGTERM, how long the service keeps listening with <c>/readyz</c> at 503 and new calls refused with
    /// UNAVAILABLE, so that load balancers see it leave before its port closes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>After the drain, how long calls in flight have to finish before they are cut.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(20);
}
