using System.ComponentModel.DataAnnotations;

namespace Fidamia.Security;

/// <summary>Who may call (section <c>Auth</c>): an OpenID Connect issuer in production, a local key in development.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>
    /// The identity provider's issuer URL (its <c>/.well-known/openid-configuration</c> gives the signing keys). Unset:
    /// development mode, tokens signed with the key in <see cref="DevelopmentKeyPath"/>, refused in Production.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>The audience tokens must be issued for.</summary>
    [Required]
    public string Audience { get; set; } = "fidamia";

    /// <summary>Whether the identity provider's metadata must come over HTTPS (turn off only for a provider on loopback).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The claim that names the caller in the audit trail (who resolved, who acknowledged).</summary>
    [Required]
    public string SubjectClaim { get; set; } = "sub";

    /// <summary>The claims that carry roles: arrays or space-separated lists (OAuth scopes).</summary>
    [MinLength(1)]
    public string[] RoleClaims { get; set; } = ["roles", "role", "scope", "scp"];

    /// <summary>The development signing key (a JSON Web Key), made at first start (default <c>DataDirectory/development-key.json</c>).</summary>
    public string? DevelopmentKeyPath { get; set; }

    /// <summary>How far token lifetimes may be off the clock.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Roles granted to calls without a token (default none). Only where the network already authenticates callers
    /// (a service mesh with mutual TLS in front of the service); an invalid token is still refused.
    /// </summary>
    public string[] AnonymousRoles { get; set; } = [];

    public bool IsDevelopmentMode => string.IsNullOrWhiteSpace(Authority);
}
