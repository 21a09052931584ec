using System.CommandLine;
using Fidamia.Core.Security;
using Fidamia.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fidamia.Cli;

/// <summary>
/// The bearer token every call carries: <c>--token</c> (or <c>$FIDAMIA_TOKEN</c>), else one the tool mints with the
/// development key of a development server started from the same folder (<c>data/development-key.json</c>, or
/// <c>--development-key</c> / <c>$FIDAMIA_DEVELOPMENT_KEY</c>), with every role, so the README's "Try it" needs no step more.
/// </summary>
internal static class CliAuth
{
    public const string DefaultKeyPath = "data/" + DevelopmentKey.FileName;

    /// <summary>Development tokens the tool mints for itself live this long: the longest command (a bench, a rescore) included.</summary>
    private static readonly TimeSpan OwnTokenLifetime = TimeSpan.FromHours(12);

    public static readonly Option<string?> Token = new("--token")
    {
        Description = "The bearer token to send, or none (default $FIDAMIA_TOKEN; else one minted with the development key, if there is one)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FIDAMIA_TOKEN") is { Length: > 0 } token ? token : null,
    };

    public static readonly Option<string> DevelopmentKeyPath = new("--development-key")
    {
        Description = $"The development server's signing key (default $FIDAMIA_DEVELOPMENT_KEY, else {DefaultKeyPath})",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FIDAMIA_DEVELOPMENT_KEY") is { Length: > 0 } path ? path : DefaultKeyPath,
    };

    /// <summary>A channel to <paramref name="address"/> whose calls carry the token (over plain HTTP too: the service is h2c).</summary>
    public static GrpcChannel Open(Uri address, ParseResult result, GrpcChannelOptions? options = null) =>
        Open(address, TokenFor(result), options);

    /// <summary>A channel whose calls carry <paramref name="token"/> (none when null).</summary>
    public static GrpcChannel Open(Uri address, string? token, GrpcChannelOptions? options = null)
    {
        options ??= new GrpcChannelOptions();
        if (token is not null)
        {
            var header = "Bearer " + token;
            options.Credentials = ChannelCredentials.Create(
                address.Scheme == Uri.UriSchemeHttps ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
                CallCredentials.FromInterceptor((_, metadata) =>
                {
                    metadata.Add("authorization", header);
                    return Task.CompletedTask;
                }));
            options.UnsafeUseInsecureChannelCallCredentials = address.Scheme == Uri.UriSchemeHttp;
        }

        return GrpcChannel.ForAddress(address, options);
    }

    /// <summary>The token to send, or null: none given and no development key here.</summary>
    public static string? TokenFor(ParseResult result)
    {
        if (result.GetValue(Token) is { Length: > 0 } given)
        {
            // "none": no token at all (a service that grants roles to anonymous callers, or to see what it answers).
            return given.Trim() is "none" ? null : given.Trim();
        }

        var keyPath = result.GetValue(DevelopmentKeyPath) ?? DefaultKeyPath;
        if (!File.Exists(keyPath))
        {
            return null;
        }

        // The review commands name the operator: the subject of the token, as the identity provider would.
        var subject = result.CommandResult.Command.Options.Any(o => o.Name == "--operator") ? result.GetValue<string>("--operator") : null;
        return DevelopmentTokens.Mint(DevelopmentKey.Load(keyPath), string.IsNullOrWhiteSpace(subject) ? Environment.UserName : subject, Roles.Named, OwnTokenLifetime);
    }

    /// <summary><c>fidamia token --role review --subject operator-1</c>: prints a development token.</summary>
    public static Command Command()
    {
        var roles = new Option<string[]>("--role")
        {
            Description = $"A role the token grants (repeat for several): {string.Join(", ", Roles.Named)} or queue:<queue id>",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var subject = new Option<string>("--subject") { Description = "Who the token names (the audit trail's actor)", Required = true };
        var lifetime = new Option<TimeSpan>("--lifetime") { Description = "How long it is valid (default 8 h)", DefaultValueFactory = _ => TimeSpan.FromHours(8) };
        var audience = new Option<string>("--audience") { Description = "The audience (the service's Auth:Audience)", DefaultValueFactory = _ => "fidamia" };
        var command = new Command("token", "Mint a token signed with a development server's key (never valid in Production)") { roles, subject, lifetime, audience };
        command.SetAction(async (result, _) =>
        {
            var asked = result.GetValue(roles) ?? [];
            if (asked.FirstOrDefault(r => !Roles.IsValid(r)) is { } unknown)
            {
                await Console.Error.WriteLineAsync($"error: --role '{unknown}' is none of {string.Join(", ", Roles.Named)} or queue:<queue id>");
                return TriageCommand.ExitUsage;
            }

            var name = result.GetValue(subject)!;
            if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || name.Any(char.IsControl))
            {
                await Console.Error.WriteLineAsync("error: --subject must be 1 to 64 printable characters");
                return TriageCommand.ExitUsage;
            }

            var span = result.GetValue(lifetime);
            if (span <= TimeSpan.Zero || span > TimeSpan.FromDays(30))
            {
                await Console.Error.WriteLineAsync("error: --lifetime must be between 1 s and 30 days");
                return TriageCommand.ExitUsage;
            }

            var keyPath = result.GetValue(DevelopmentKeyPath) ?? DefaultKeyPath;
            if (!File.Exists(keyPath))
            {
                await Console.Error.WriteLineAsync(
                    $"error: no development key at {Path.GetFullPath(keyPath)}: start the service in development mode first (it makes one under its DataDirectory), or name it with --development-key");
                return TriageCommand.ExitUsage;
            }

            Console.Out.WriteLine(DevelopmentTokens.Mint(DevelopmentKey.Load(keyPath), name.Trim(), asked, span, result.GetValue(audience)!));
            return 0;
        });
        return command;
    }
}
