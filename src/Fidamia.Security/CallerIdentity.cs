using System.Security.Claims;
using Fidamia.Core.Security;

namespace Fidamia.Security;

/// <summary>The <see cref="Caller"/> a validated token describes: its subject and the roles its role claims carry.</summary>
public static class CallerIdentity
{
    public static Caller From(ClaimsPrincipal? user, AuthOptions options, IReadOnlySet<string> anonymousRoles)
    {
        if (user?.Identity is not { IsAuthenticated: true })
        {
            return Caller.AnonymousWith(anonymousRoles);
        }

        var subject = user.FindFirst(options.SubjectClaim)?.Value;
        if (string.IsNullOrWhiteSpace(subject))
        {
            // A token that names nobody cannot be audited: as good as none, and no anonymous role either.
            return Caller.Anonymous;
        }

        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in options.RoleClaims)
        {
            foreach (var claim in user.FindAll(type))
            {
                // A JSON array arrives as one claim per element; a scope as one space-separated claim.
                foreach (var role in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    roles.Add(role);
                }
            }
        }

        return new Caller(subject, roles);
    }
}
