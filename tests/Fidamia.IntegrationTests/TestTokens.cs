using Fidamia.Core.Security;
using Fidamia.Security;
using Grpc.Core;
using Microsoft.IdentityModel.Tokens;

namespace Fidamia.IntegrationTests;

/// <summary>
/// Tokens for the servers and tools the tests start: one development key for the whole run (every server is started on
/// it, every CLI run finds it through $FIDAMIA_DEVELOPMENT_KEY), as an operator's machine would hold its server's.
/// </summary>
internal static class TestTokens
{
    private static readonly Lazy<(string Path, SymmetricSecurityKey Key)> Development = new(() =>
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("fidamia-it-key-").FullName, DevelopmentKey.FileName);
        return (path, DevelopmentKey.LoadOrCreate(path));
    });

    public static string KeyPath => Development.Value.Path;

    /// <summary>A token for <paramref name="subject"/> with <paramref name="roles"/>.</summary>
    public static string For(string subject, params string[] roles) =>
        DevelopmentTokens.Mint(Development.Value.Key, subject, roles, TimeSpan.FromHours(2));

    /// <summary>Call headers that carry a token for <paramref name="subject"/> with <paramref name="roles"/>.</summary>
    public static Metadata As(string subject, params string[] roles) => new() { { "authorization", "Bearer " + For(subject, roles) } };

    /// <summary>Call headers for a call without any token (the default handler adds none).</summary>
    public static Metadata Anonymous => new() { { DefaultTokenHandler.NoTokenHeader, "1" } };

    /// <summary>Every role (what the CLI mints for itself on a development server).</summary>
    public static string Everything(string subject = "integration-tests") => For(subject, [.. Roles.Named]);
}

/// <summary>Adds a default bearer token to every request that does not carry one of its own.</summary>
internal sealed class DefaultTokenHandler(string token) : DelegatingHandler(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
{
    public const string NoTokenHeader = "x-test-no-token";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Remove(NoTokenHeader))
        {
            return base.SendAsync(request, cancellationToken);
        }

        if (request.Headers.Authorization is null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
