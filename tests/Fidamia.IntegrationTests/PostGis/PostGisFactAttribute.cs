using Fidamia.Tests;

namespace Fidamia.IntegrationTests.PostGis;

/// <summary>
/// The PostGIS server the tests use: FIDAMIA_POSTGIS holds its connection string. .ci/run sets it after
/// tests/postgis/start.sh has installed and started the server; by hand:
/// <c>export FIDAMIA_POSTGIS="$(bash tests/postgis/start.sh)"</c>.
/// </summary>
internal static class PostGisServer
{
    public const string Variable = "FIDAMIA_POSTGIS";

    public const string SkipReason =
        Variable + " is unset (run: export " + Variable + "=\"$(bash tests/postgis/start.sh)\" to run this test; .ci/run does)";

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public static string Require() => ConnectionString ?? throw new InvalidOperationException(SkipReason);

    /// <summary>
    /// Why a PostGIS test cannot run here, or null when it must run. CI must run them (its .ci/run starts the server), so
    /// under CI=true a missing server fails the tests instead of skipping them; a developer's machine may skip them.
    /// </summary>
    public static string? Unavailable =>
        ConnectionString is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? SkipReason
            : null;
}

/// <summary>A fact that needs the PostGIS server; skipped, with the reason, when FIDAMIA_POSTGIS is unset outside CI.</summary>
internal sealed class PostGisFactAttribute : FactAttribute
{
    public PostGisFactAttribute()
    {
        Skip = PostGisServer.Unavailable;
    }
}

/// <summary>A fact that needs the PostGIS server and ../shared/data; skipped, with the reasons, when either is absent.</summary>
internal sealed class PostGisSharedDataFactAttribute : FactAttribute
{
    public PostGisSharedDataFactAttribute()
    {
        var reasons = new List<string>();
        if (PostGisServer.Unavailable is { } unavailable)
        {
            reasons.Add(unavailable);
        }

        if (!SharedData.IsAvailable)
        {
            reasons.Add(SharedData.SkipReason);
        }

        if (reasons.Count > 0)
        {
            Skip = string.Join("; ", reasons);
        }
    }
}
