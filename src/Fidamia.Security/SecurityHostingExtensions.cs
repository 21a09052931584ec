using Fidamia.Core;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Fidamia.Security;

public static class SecurityHostingExtensions
{
    /// <summary>
    /// JWT bearer authentication (the identity provider's tokens, or the development key's), and deny by default for
    /// HTTP endpoints: each one that needs no token says so. gRPC methods are checked by the server's access interceptor,
    /// which knows which queue a call names.
    /// </summary>
    public static IHostApplicationBuilder AddFidamiaSecurity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate<IHostEnvironment>(
                (o, environment) => !(o.IsDevelopmentMode && environment.IsProduction()),
                "Auth:Authority is not set, so the service would take tokens signed with its development key; that is refused "
                + "when the environment is Production. Set Auth:Authority (the identity provider's issuer URL) and Auth:Audience, "
                + "or ASPNETCORE_ENVIRONMENT=Development for a trial")
            .Validate(
                o => o.AnonymousRoles.All(Core.Security.Roles.IsValid),
                "Auth:AnonymousRoles: every entry must be triage, review, models, admin, queue:* or queue:<queue id>")
            .Validate(
                o => o.IsDevelopmentMode || (Uri.TryCreate(o.Authority, UriKind.Absolute, out var uri)
                    && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && !o.RequireHttpsMetadata))),
                "Auth:Authority must be an https:// URL (http:// only with Auth:RequireHttpsMetadata=false)")
            .ValidateOnStart();
        services.AddSingleton<DevelopmentKeyFile>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, DevelopmentKeyFile>((jwt, auth, developmentKey) =>
            {
                var options = auth.Value;
                // Claims keep the token's names (sub, roles), not the WS-Federation URIs.
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters.NameClaimType = options.SubjectClaim;
                jwt.TokenValidationParameters.RoleClaimType = options.RoleClaims[0];
                jwt.TokenValidationParameters.ClockSkew = options.ClockSkew;
                jwt.TokenValidationParameters.ValidAudience = options.Audience;
                if (options.IsDevelopmentMode)
                {
                    jwt.TokenValidationParameters.ValidIssuer = DevelopmentKey.Issuer;
                    jwt.TokenValidationParameters.IssuerSigningKey = developmentKey.Key;
                    jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                }
                else
                {
                    jwt.Authority = options.Authority;
                    jwt.Audience = options.Audience;
                    jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
                }
            });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddHostedService<DevelopmentKeyAnnouncer>();
        return builder;
    }

    public static WebApplication UseFidamiaSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}

/// <summary>The development key of this instance (made at first use), in development mode.</summary>
public sealed class DevelopmentKeyFile(IOptions<AuthOptions> options, DataDirectory data)
{
    private readonly Lazy<SymmetricSecurityKey> _key = new(() => DevelopmentKey.LoadOrCreate(PathOf(options.Value, data)));

    public string Path { get; } = PathOf(options.Value, data);

    public SymmetricSecurityKey Key => _key.Value;

    private static string PathOf(AuthOptions options, DataDirectory data) =>
        System.IO.Path.GetFullPath(string.IsNullOrEmpty(options.DevelopmentKeyPath) ? data.Combine(DevelopmentKey.FileName) : options.DevelopmentKeyPath);
}
