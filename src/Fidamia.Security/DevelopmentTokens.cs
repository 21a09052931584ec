using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Fidamia.Security;

/// <summary>Mints tokens signed with the development key, as the identity provider would issue them.</summary>
public static class DevelopmentTokens
{
    public static string Mint(SymmetricSecurityKey key, string subject, IEnumerable<string> roles, TimeSpan lifetime, string audience = "fidamia", DateTime? now = null)
    {
        var issuedAt = now ?? DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = DevelopmentKey.Issuer,
            Audience = audience,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt + lifetime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["roles"] = roles.Distinct(StringComparer.Ordinal).ToArray(),
            },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
