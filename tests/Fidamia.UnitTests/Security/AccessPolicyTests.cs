using System.Reflection;
using System.Security.Claims;
using Fidamia.Core.Security;
using Fidamia.Security;
using Fidamia.Server.Security;
using Grpc.Core;

namespace Fidamia.UnitTests.Security;

public class AccessPolicyTests
{
    private static Caller With(params string[] roles) => new("someone", roles.ToHashSet(StringComparer.Ordinal));

    [Fact]
    public void AMethodThatDeclaresNothing_IsRefusedEvenToAnAdministrator()
    {
        var (outcome, reason) = AccessPolicy.Decide(null, With(Roles.Admin), "/x.Y/Z");

        Assert.Equal(AccessOutcome.Denied, outcome);
        Assert.Contains("declares no access rule", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("triage", AccessOutcome.Allowed)]
    [InlineData("admin", AccessOutcome.Allowed)]
    [InlineData("review", AccessOutcome.Denied)]
    [InlineData("queue:*", AccessOutcome.Denied)]
    public void ARoleRule_TakesOneOfItsRolesOrAdmin(string role, AccessOutcome expected) =>
        Assert.Equal(expected, AccessPolicy.Decide(AccessRule.AnyOf(Roles.Triage), With(role), "/m").Outcome);

    [Fact]
    public void WithoutAToken_ItIsUnauthenticated_AndTheMessageNamesTheRole()
    {
        var (outcome, reason) = AccessPolicy.Decide(AccessRule.AnyOf(Roles.Triage, Roles.Review), Caller.Anonymous, "/fidamia.v1.TriageService/GetReport");

        Assert.Equal(AccessOutcome.Unauthenticated, outcome);
        Assert.Equal("/fidamia.v1.TriageService/GetReport needs a bearer token with one of the roles 'triage', 'review'", reason);
    }

    [Fact]
    public void AWrongRole_IsDenied_AndTheMessageSaysWhatIsMissingAndWhatTheTokenHas()
    {
        var (outcome, reason) = AccessPolicy.Decide(AccessRule.NamedQueue, With("queue:voirie", "review"), "/q/Lease", "proprete");

        Assert.Equal(AccessOutcome.Denied, outcome);
        Assert.Equal("/q/Lease needs the role 'queue:proprete' or 'queue:*'; the token of 'someone' has queue:voirie, review", reason);
    }

    [Theory]
    [InlineData("queue:proprete", "proprete", true)]
    [InlineData("queue:proprete", "voirie", false)]
    [InlineData("queue:*", "voirie", true)]
    [InlineData("admin", "voirie", true)]
    [InlineData("queue:", "voirie", false)]
    public void QueueRoles_NameTheirQueueOrAll(string role, string queue, bool allowed) =>
        Assert.Equal(allowed, AccessPolicy.Decide(AccessRule.NamedQueue, With(role), "/q", queue).Outcome == AccessOutcome.Allowed);

    [Fact]
    public void SomeQueue_TakesAnyQueueRole_AndStatsShowOnlyTheCallersQueues()
    {
        Assert.Equal(AccessOutcome.Allowed, AccessPolicy.Decide(AccessRule.SomeQueue, With("queue:voirie"), "/q/Ack").Outcome);
        Assert.Equal(AccessOutcome.Denied, AccessPolicy.Decide(AccessRule.SomeQueue, With("triage"), "/q/Ack").Outcome);
        Assert.Equal(["voirie"], With("queue:voirie", "triage").Queues!);
        Assert.Null(With("queue:*").Queues);
        Assert.Null(With("admin").Queues);
    }

    [Fact]
    public void AnonymousRoles_OpenOnlyWhatTheyName_AndProbesNeedNothing()
    {
        var meshCaller = Caller.AnonymousWith(new HashSet<string> { Roles.Triage });

        Assert.Equal(AccessOutcome.Allowed, AccessPolicy.Decide(AccessRule.AnyOf(Roles.Triage), meshCaller, "/t").Outcome);
        Assert.Equal(AccessOutcome.Unauthenticated, AccessPolicy.Decide(AccessRule.AnyOf(Roles.Review), meshCaller, "/r").Outcome);
        Assert.Equal(AccessOutcome.Unauthenticated, AccessPolicy.Decide(AccessRule.Authenticated, meshCaller, "/reflection").Outcome);
        Assert.Equal(AccessOutcome.Allowed, AccessPolicy.Decide(AccessRule.Anonymous, Caller.Anonymous, "/health").Outcome);
    }

    [Fact]
    public void EveryRpcTheServiceImplements_DeclaresWhatItNeeds()
    {
        var services = typeof(AccessInterceptor).Assembly.GetTypes()
            .Where(t => t.Namespace == "Fidamia.Server.Grpc" && t.BaseType?.GetCustomAttribute<BindServiceMethodAttribute>() is not null)
            .ToList();
        var undeclared = services
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => m.GetBaseDefinition().DeclaringType != m.DeclaringType && m.GetCustomAttribute<AccessAttribute>() is null)
                .Select(m => $"{t.Name}.{m.Name}"))
            .ToList();

        Assert.Equal(5, services.Count);
        Assert.Empty(undeclared);
    }

    [Fact]
    public void RolesComeFromRoleArraysAndScopes_AndATokenWithoutSubjectIsNobody()
    {
        var options = new AuthOptions();
        var token = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("sub", "operator-1"), new Claim("roles", "review"), new Claim("scope", "openid queue:voirie")], "Bearer"));
        var nameless = new ClaimsPrincipal(new ClaimsIdentity([new Claim("roles", "admin")], "Bearer"));

        var caller = CallerIdentity.From(token, options, new HashSet<string>());

        Assert.Equal("operator-1", caller.Subject);
        Assert.Equal(["openid", "queue:voirie", "review"], caller.Roles.Order(StringComparer.Ordinal));
        Assert.False(CallerIdentity.From(nameless, options, new HashSet<string> { "triage" }).IsAuthenticated);
        Assert.Empty(CallerIdentity.From(nameless, options, new HashSet<string> { "triage" }).Roles);
    }
}
