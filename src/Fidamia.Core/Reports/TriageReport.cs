using Fidamia.Core.Geo;

namespace Fidamia.Core.Reports;

public enum ReportChannel
{
    Unspecified = 0,
    Web = 1,
    App = 2,
    Phone = 3,
    Agent = 4,
}

/// <summary>One citizen report as the back-office sends it, before validation.</summary>
public sealed record TriageReport
{
    public required string ReportId { get; init; }

    /// <summary>
    /// The photo's bytes, lent for the call: the caller may reuse the memory once <c>TriageAsync</c> returns, so
    /// anything that keeps the photo longer (the shadow's queue) keeps a copy.
    /// </summary>
    public required ReadOnlyMemory<byte> Photo { get; init; }

    /// <summary>Null when the caller sent no location at all.</summary>
    public GeoPoint? Location { get; init; }

    public string? DeclaredCategory { get; init; }

    public string? Description { get; init; }

    public ReportChannel Channel { get; init; }

    public DateTimeOffset? ReportedAt { get; init; }
}
