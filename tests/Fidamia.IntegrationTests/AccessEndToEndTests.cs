using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Fidamia.Core.Security;
using Fidamia.Protos.V1;
using Fidamia.Security;
using Fidamia.Tests;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Fidamia.IntegrationTests;

/// <summary>Who may call what, over a real channel to a real server: the role matrix, bad tokens, the audit trail, Production.</summary>
public class AccessEndToEndTests
{
    private const string Queue = "revue";

    // What each role may call, written out here (not read from the service's attributes, which it checks).
    private static readonly string[] Everyone = ["triage", "review", "models", "queue:revue", "queue:other", "queue:*", "admin", "no role"];
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["/fidamia.v1.TriageService/Triage"] = ["triage", "admin"],
        ["/fidamia.v1.TriageService/GetReport"] = ["triage", "review", "queue:*", "admin"],
        ["/fidamia.v1.ReviewService/ListPending"] = ["review", "admin"],
        ["/fidamia.v1.ReviewService/Get"] = ["review", "admin"],
        ["/fidamia.v1.ReviewService/Claim"] = ["review", "admin"],
        ["/fidamia.v1.ReviewService/Resolve"] = ["review", "admin"],
        ["/fidamia.v1.ReviewService/Reject"] = ["review", "admin"],
        ["/fidamia.v1.ReviewService/MarkDuplicate"] = ["review", "admin"],
        ["/fidamia.v1.ReviewService/Stats"] = ["review", "admin"],
        ["/fidamia.v1.QueueService/Lease"] = ["queue:revue", "queue:*", "admin"],
        ["/fidamia.v1.QueueService/Watch"] = ["queue:revue", "queue:*", "admin"],
        ["/fidamia.v1.QueueService/Requeue"] = ["queue:revue", "queue:*", "admin"],
        ["/fidamia.v1.QueueService/Ack"] = ["queue:revue", "queue:other", "queue:*", "admin"],
        ["/fidamia.v1.QueueService/Nack"] = ["queue:revue", "queue:other", "queue:*", "admin"],
        ["/fidamia.v1.QueueService/Stats"] = ["queue:revue", "queue:other", "queue:*", "admin"],
        ["/fidamia.v1.ModelService/List"] = ["models", "admin"],
        ["/fidamia.v1.ModelService/Load"] = ["models", "admin"],
        ["/fidamia.v1.ModelService/Activate"] = ["models", "admin"],
        ["/fidamia.v1.ModelService/Rollback"] = ["models", "admin"],
        ["/fidamia.v1.ModelService/Unload"] = ["models", "admin"],
        ["/fidamia.v1.ModelService/Status"] = ["models", "admin"],
        ["/fidamia.v1.ModelService/Shadow"] = ["models", "admin"],
        ["/fidamia.v1.ModelService/StopShadow"] = ["models", "admin"],
        ["/fidamia.v1.DatasetService/Export"] = ["models", "admin"],
        // Probes need no token; reflection any valid one.
        ["/grpc.health.v1.Health/Check"] = [.. Everyone, "anonymous"],
        ["/grpc.health.v1.Health/Watch"] = [.. Everyone, "anonymous"],
        ["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"] = Everyone,
    };

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    [SharedDataFact]
    public async Task EveryRpc_ByEveryRole_IsAllowedOrRefusedAsItsRuleSays_WithTheMissingRoleNamed()
    {
        await using var server = await ServerProcess.StartAsync("--Duplicates:Enabled=false");
        var invoker = server.Channel.CreateCallInvoker();
        var services = new[] { TriageService.Descriptor, ReviewService.Descriptor, QueueService.Descriptor, ModelService.Descriptor, DatasetService.Descriptor };
        var methods = services.SelectMany(s => s.Methods)
            .Select(m => (Path: $"/{m.Service.FullName}/{m.Name}", Type: TypeOf(m)))
            .Concat(new (string Path, MethodType Type)[]
            {
                ("/grpc.health.v1.Health/Check", MethodType.Unary),
                ("/grpc.health.v1.Health/Watch", MethodType.ServerStreaming),
                ("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", MethodType.DuplexStreaming),
            })
            .ToList();
        // Every RPC the protos define has a row: a new one cannot go untested.
        Assert.Equal(Allowed.Keys.Order(StringComparer.Ordinal), methods.Select(m => m.Path).Order(StringComparer.Ordinal));

        var failures = new List<string>();
        foreach (var (path, type) in methods)
        {
            foreach (var role in Everyone.Append("anonymous"))
            {
                var headers = role switch
                {
                    "anonymous" => TestTokens.Anonymous,
                    "no role" => TestTokens.As("matrix-" + role.Replace(' ', '-')),
                    _ => TestTokens.As("matrix-" + role, role),
                };
                var status = await CallAsync(invoker, path, type, headers);
                var allowed = Allowed[path].Contains(role);
                var refused = status.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied;
                if (allowed && refused)
                {
                    failures.Add($"{path} as {role}: refused ({status.StatusCode}: {status.Detail})");
                }
                else if (!allowed)
                {
                    var expected = role == "anonymous" ? StatusCode.Unauthenticated : StatusCode.PermissionDenied;
                    if (status.StatusCode != expected)
                    {
                        failures.Add($"{path} as {role}: {status.StatusCode} ({status.Detail}), not {expected}");
                    }
                    else if (!status.Detail.Contains(path, StringComparison.Ordinal) || !NamesWhatIsMissing(status.Detail, path))
                    {
                        failures.Add($"{path} as {role}: the message does not say what is missing: {status.Detail}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [SharedDataFact]
    public async Task BadTokens_AreUnauthenticated_WithTheReason_AndTheAuditNamesWhoResolvedAndWhoAcknowledged()
    {
        await using var server = await ServerProcess.StartAsync("--Duplicates:Enabled=false");
        var report = Requests.Report(TestPhotos.Shot("graf1.png", 11), declared: "graffiti");
        var otherKey = DevelopmentKey.LoadOrCreate(Path.Combine(Directory.CreateTempSubdirectory("fidamia-it-otherkey-").FullName, "k.json"));
        var forged = DevelopmentTokens.Mint(otherKey, "mallory", [Roles.Admin], TimeSpan.FromHours(1));
        var expired = DevelopmentTokens.Mint(DevelopmentKey.Load(TestTokens.KeyPath), "late", [Roles.Triage], TimeSpan.FromMinutes(1), now: DateTime.UtcNow.AddHours(-1));
        var elsewhere = DevelopmentTokens.Mint(DevelopmentKey.Load(TestTokens.KeyPath), "lost", [Roles.Triage], TimeSpan.FromHours(1), audience: "another-service");

        var unsigned = await FailsAsync(server.Client.TriageAsync(report, Bearer(forged)).ResponseAsync);
        var late = await FailsAsync(server.Client.TriageAsync(report, Bearer(expired)).ResponseAsync);
        var foreign = await FailsAsync(server.Client.TriageAsync(report, Bearer(elsewhere)).ResponseAsync);
        var garbage = await FailsAsync(server.Client.TriageAsync(report, Bearer("not.a.token")).ResponseAsync);

        Assert.All([unsigned, late, foreign, garbage], e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
        Assert.Contains("not signed by a trusted key", unsigned.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("expired", late.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("another audience", foreign.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("needs a bearer token with the role 'triage'", garbage.Status.Detail, StringComparison.Ordinal);

        // Nothing was accepted from them: the report is not known.
        var get = await FailsAsync(server.Client.GetReportAsync(new GetReportRequest { ReportId = report.ReportId }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, get.StatusCode);

        // The back-office sends it; an operator resolves it; the team that gets it acknowledges it: each named by its token.
        var triaged = await server.Client.TriageAsync(report, TestTokens.As("back-office", Roles.Triage));
        var review = new ReviewService.ReviewServiceClient(server.Channel);
        var alice = TestTokens.As("alice", Roles.Review);
        await review.ClaimAsync(new ClaimRequest { ReportId = triaged.ReportId }, alice);
        var resolved = await review.ResolveAsync(new ResolveRequest { ReportId = triaged.ReportId, LabelCode = "graffiti" }, alice);
        var queues = new QueueService.QueueServiceClient(server.Channel);
        var team = TestTokens.As("proprete-team", Roles.Queue(resolved.Queue.Id));
        var leased = await queues.LeaseAsync(new LeaseRequest { Queue = resolved.Queue.Id, MaxItems = 10, VisibilityTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) }, team);
        var item = Assert.Single(leased.Items, i => i.ReportId == triaged.ReportId);
        await queues.AckAsync(new AckRequest { LeaseIds = { item.LeaseId } }, team);
        // Another team's token cannot lease from this queue, and sees only its own in Stats.
        var otherTeam = TestTokens.As("voirie-team", Roles.Queue("voirie-marseille"));
        var notTheirs = await FailsAsync(queues.LeaseAsync(new LeaseRequest { Queue = resolved.Queue.Id, MaxItems = 1, VisibilityTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) }, otherTeam).ResponseAsync);
        var theirStats = await queues.StatsAsync(new StatsRequest(), otherTeam);

        Assert.Equal(StatusCode.PermissionDenied, notTheirs.StatusCode);
        Assert.Contains($"'queue:{resolved.Queue.Id}'", notTheirs.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(theirStats.Queues, q => q.Queue == resolved.Queue.Id);
        var audit = await AuditAsync(server, triaged.ReportId);
        Assert.Contains(("alice", "resolved"), audit);
        Assert.Contains(("proprete-team", "ack"), audit);
    }

    [SharedDataFact]
    public async Task Production_RefusesTheDevelopmentKey_ButTakesTheIdentityProvidersTokens()
    {
        var production = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "Production" };
        var refused = await Assert.ThrowsAsync<ServerExitedException>(() => ServerProcess.StartWithEnvironmentAsync(production, "--Duplicates:Enabled=false"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Auth:Authority is not set", refused.Output, StringComparison.Ordinal);

        using var provider = new IdentityProviderStandIn();
        await using var server = await ServerProcess.StartWithEnvironmentAsync(
            production, "--Duplicates:Enabled=false", $"--Auth:Authority={provider.Issuer}", "--Auth:RequireHttpsMetadata=false", "--Auth:Audience=fidamia-amp");
        var report = Requests.Report(TestPhotos.Shot("graf1.png", 12), declared: "graffiti");

        var development = await FailsAsync(server.Client.TriageAsync(report, TestTokens.As("dev", Roles.Triage)).ResponseAsync);
        var scopeOnly = await FailsAsync(server.Client.TriageAsync(report, Bearer(provider.Mint("svc-backoffice", scope: "review"))).ResponseAsync);
        var triaged = await server.Client.TriageAsync(report, Bearer(provider.Mint("svc-backoffice", scope: "openid triage")));

        Assert.Equal(StatusCode.Unauthenticated, development.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, scopeOnly.StatusCode);
        Assert.Contains("'triage'", scopeOnly.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(report.ReportId, triaged.ReportId);
    }

    [SharedDataFact]
    public async Task AClientPastItsRateLimit_IsResourceExhaustedWithARetryDelay_AndOthersAreNot()
    {
        await using var server = await ServerProcess.StartAsync("--Duplicates:Enabled=false", "--RateLimits:PerClientPerSecond=1", "--RateLimits:Burst=2");
        var request = new GetReportRequest { ReportId = "never-sent" };
        var busy = TestTokens.As("busy-client", Roles.Triage);

        var first = await FailsAsync(server.Client.GetReportAsync(request, busy).ResponseAsync);
        var second = await FailsAsync(server.Client.GetReportAsync(request, busy).ResponseAsync);
        var third = await FailsAsync(server.Client.GetReportAsync(request, busy).ResponseAsync);
        var other = await FailsAsync(server.Client.GetReportAsync(request, TestTokens.As("other-client", Roles.Triage)).ResponseAsync);

        Assert.Equal([StatusCode.NotFound, StatusCode.NotFound, StatusCode.ResourceExhausted, StatusCode.NotFound], new[] { first, second, third, other }.Select(e => e.StatusCode));
        var retry = third.GetRpcStatus()!.GetDetail<Google.Rpc.RetryInfo>();
        Assert.NotNull(retry);
        Assert.InRange(retry.RetryDelay.ToTimeSpan(), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
    }

    private static bool NamesWhatIsMissing(string detail, string path) =>
        path.Contains("/grpc.reflection.", StringComparison.Ordinal)
            ? detail.Contains("a valid token", StringComparison.Ordinal)
            : Allowed[path].Where(r => r is not ("admin" or "queue:revue" or "queue:other")).All(r => detail.Contains($"'{r}'", StringComparison.Ordinal))
              || detail.Contains("a queue role", StringComparison.Ordinal);

    private static async Task<Status> CallAsync(CallInvoker invoker, string path, MethodType type, Metadata headers)
    {
        var parts = path.Split('/');
        var method = new Method<byte[], byte[]>(type, parts[1], parts[2], Bytes, Bytes);
        var request = path switch
        {
            "/fidamia.v1.QueueService/Lease" => new LeaseRequest { Queue = Queue }.ToByteArray(),
            "/fidamia.v1.QueueService/Watch" => new WatchRequest { Queue = Queue }.ToByteArray(),
            "/fidamia.v1.QueueService/Requeue" => new RequeueRequest { Queue = Queue }.ToByteArray(),
            _ => [],
        };
        var options = new CallOptions(headers, DateTime.UtcNow.AddSeconds(3));
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(method, null, options, request);
                    break;
                case MethodType.ServerStreaming:
                    using (var call = invoker.AsyncServerStreamingCall(method, null, options, request))
                    {
                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }

                    break;
                default:
                    using (var call = invoker.AsyncDuplexStreamingCall(method, null, options))
                    {
                        try
                        {
                            // ServerReflectionRequest { list_services = "" }
                            await call.RequestStream.WriteAsync([0x3a, 0x00]);
                            await call.RequestStream.CompleteAsync();
                        }
                        catch (RpcException)
                        {
                            // A refused call can end before its request is read: the write then fails on the reset
                            // stream (CANCELLED), while the status the server sent is the call's, read below.
                        }

                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }

                    break;
            }

            return Status.DefaultSuccess;
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
    }

    private static MethodType TypeOf(MethodDescriptor method) => (method.IsClientStreaming, method.IsServerStreaming) switch
    {
        (false, false) => MethodType.Unary,
        (false, true) => MethodType.ServerStreaming,
        (true, false) => MethodType.ClientStreaming,
        _ => MethodType.DuplexStreaming,
    };

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    private static async Task<RpcException> FailsAsync(Task call) => await Assert.ThrowsAsync<RpcException>(() => call);

    private static async Task<List<(string Actor, string Action)>> AuditAsync(ServerProcess server, string reportId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "fidamia.db")};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT actor, action FROM audit WHERE report_id = $id ORDER BY id";
        command.Parameters.AddWithValue("$id", reportId);
        var rows = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
    }

    /// <summary>
    /// An OpenID Connect issuer on loopback, as the Métropole's identity provider: its discovery document and its RSA
    /// signing key (JWKS), and tokens it signs with roles as OAuth scopes.
    /// </summary>
    private sealed class IdentityProviderStandIn : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly RSA _rsa = RSA.Create(2048);
        private readonly RsaSecurityKey _key;

        public IdentityProviderStandIn()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Issuer = $"http://127.0.0.1:{port}/realms/amp";
            _key = new RsaSecurityKey(_rsa) { KeyId = "amp-1" };
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Issuer { get; }

        public string Mint(string subject, string scope) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = "fidamia-amp",
            Expires = DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["scope"] = scope },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });

        private async Task ServeAsync()
        {
            var parameters = _rsa.ExportParameters(false);
            var jwks = JsonSerializer.Serialize(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = "amp-1", n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
                },
            });
            var discovery = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["issuer"] = Issuer,
                ["jwks_uri"] = Issuer + "/protocol/openid-connect/certs",
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            });
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var path = context.Request.Url!.AbsolutePath;
                var body = path.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal) ? discovery
                    : path.EndsWith("/certs", StringComparison.Ordinal) ? jwks : null;
                context.Response.StatusCode = body is null ? 404 : 200;
                context.Response.ContentType = "application/json";
                if (body is not null)
                {
                    await context.Response.OutputStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(body));
                }

                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Close();
            _rsa.Dispose();
        }
    }
}
