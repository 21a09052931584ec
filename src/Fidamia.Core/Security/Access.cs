namespace Fidamia.Core.Security;

/// <summary>The roles (or scopes) a token may carry; <c>queue:&lt;queue id&gt;</c> and <c>queue:*</c> name queues.</summary>
public static class Roles
{
    /// <summary>The back-office: sends reports and reads what became of them.</summary>
    public const string Triage = "triage";

    /// <summary>Operators: the review queue and its decisions.</summary>
    public const string Review = "review";

    /// <summary>Data scientists: model versions, shadows, the labelled dataset.</summary>
    public const string Models = "models";

    /// <summary>Every role: the service's administrators.</summary>
    public const string Admin = "admin";

    public const string QueuePrefix = "queue:";

    /// <summary>Every queue.</summary>
    public const string AnyQueue = "queue:*";

    /// <summary>One service team's queue.</summary>
    public static string Queue(string queueId) => QueuePrefix + queueId;

    /// <summary>The roles one can mint a development token for (queue roles besides).</summary>
    public static IReadOnlyList<string> Named { get; } = [Triage, Review, Models, Admin, AnyQueue];

    public static bool IsValid(string role) =>
        Named.Contains(role, StringComparer.Ordinal)
        || (role.StartsWith(QueuePrefix, StringComparison.Ordinal) && role.Length > QueuePrefix.Length && role.Length <= 100 && !role.Any(char.IsWhiteSpace));
}

/// <summary>What a call needs.</summary>
public enum AccessKind
{
    /// <summary>Nobody's identity: probes (health) only.</summary>
    Anonymous,

    /// <summary>Any valid token.</summary>
    Authenticated,

    /// <summary>One of the listed roles.</summary>
    AnyRole,

    /// <summary><c>queue:&lt;the queue the request names&gt;</c> or <c>queue:*</c>.</summary>
    NamedQueue,

    /// <summary>Some queue role: the call names no queue (a lease id, which only the queue's consumer was given).</summary>
    SomeQueue,
}

/// <summary>A call's requirement: a kind and, for <see cref="AccessKind.AnyRole"/>, the roles that satisfy it.</summary>
public sealed record AccessRule(AccessKind Kind, IReadOnlyList<string> Roles)
{
    public static AccessRule Anonymous { get; } = new(AccessKind.Anonymous, []);

    public static AccessRule Authenticated { get; } = new(AccessKind.Authenticated, []);

    public static AccessRule NamedQueue { get; } = new(AccessKind.NamedQueue, []);

    public static AccessRule SomeQueue { get; } = new(AccessKind.SomeQueue, []);

    public static AccessRule AnyOf(params string[] roles) => new(AccessKind.AnyRole, roles);

    /// <summary>The rule in words, for a message: "the role 'triage' or 'review'".</summary>
    public string Describe(string? queueId = null) => Kind switch
    {
        AccessKind.Anonymous => "nothing",
        AccessKind.Authenticated => "a valid token",
        AccessKind.AnyRole => Roles.Count == 1 ? $"the role '{Roles[0]}'" : "one of the roles " + string.Join(", ", Roles.Select(r => $"'{r}'")),
        AccessKind.NamedQueue => $"the role '{Security.Roles.Queue(queueId ?? "<queue>")}' or '{Security.Roles.AnyQueue}'",
        _ => $"a queue role ('{Security.Roles.QueuePrefix}<queue id>' or '{Security.Roles.AnyQueue}')",
    };
}

/// <summary>Who calls: the token's subject and roles; <see cref="Anonymous"/> without a valid token.</summary>
public sealed record Caller(string? Subject, IReadOnlySet<string> Roles)
{
    public static Caller Anonymous { get; } = new(null, new HashSet<string>());

    /// <summary>A caller without a token, granted <paramref name="roles"/> by the deployment.</summary>
    public static Caller AnonymousWith(IReadOnlySet<string> roles) => roles.Count == 0 ? Anonymous : new(null, roles);

    public bool IsAuthenticated => Subject is not null;

    public bool IsAdmin => Roles.Contains(Security.Roles.Admin);

    /// <summary>Whether the caller may use <paramref name="queueId"/>.</summary>
    public bool MayUseQueue(string queueId) =>
        IsAdmin || Roles.Contains(Security.Roles.AnyQueue) || Roles.Contains(Security.Roles.Queue(queueId));

    /// <summary>The queues named by the caller's roles; null when every queue (<c>queue:*</c>, <c>admin</c>).</summary>
    public IReadOnlySet<string>? Queues => IsAdmin || Roles.Contains(Security.Roles.AnyQueue)
        ? null
        : Roles.Where(r => r.StartsWith(Security.Roles.QueuePrefix, StringComparison.Ordinal)).Select(r => r[Security.Roles.QueuePrefix.Length..]).ToHashSet(StringComparer.Ordinal);
}

/// <summary>The outcome of one check.</summary>
public enum AccessOutcome
{
    Allowed,

    /// <summary>No valid token where one is needed: UNAUTHENTICATED.</summary>
    Unauthenticated,

    /// <summary>A token without the role: PERMISSION_DENIED.</summary>
    Denied,
}

/// <summary>Deny by default: the decision for one call, with the reason in words. No I/O.</summary>
public static class AccessPolicy
{
    public static (AccessOutcome Outcome, string? Reason) Decide(AccessRule? rule, Caller caller, string method, string? queueId = null)
    {
        if (rule is null)
        {
            // A method that declares nothing is nobody's, even an administrator's: declaring is how it is opened.
            return (AccessOutcome.Denied, $"{method} declares no access rule; nobody may call it");
        }

        if (rule.Kind == AccessKind.Anonymous)
        {
            return (AccessOutcome.Allowed, null);
        }

        // A caller without a token holds only the roles the deployment grants anonymous callers (Auth:AnonymousRoles).
        var allowed = rule.Kind switch
        {
            AccessKind.Authenticated => caller.IsAuthenticated,
            AccessKind.AnyRole => caller.IsAdmin || rule.Roles.Any(caller.Roles.Contains),
            AccessKind.NamedQueue => queueId is not null && caller.MayUseQueue(queueId),
            AccessKind.SomeQueue => caller.IsAdmin || caller.Roles.Any(r => r.StartsWith(Roles.QueuePrefix, StringComparison.Ordinal)),
            _ => false,
        };
        if (allowed)
        {
            return (AccessOutcome.Allowed, null);
        }

        return caller.IsAuthenticated
            ? (AccessOutcome.Denied, $"{method} needs {rule.Describe(queueId)}; the token of '{caller.Subject}' has {(caller.Roles.Count == 0 ? "no role" : string.Join(", ", caller.Roles.Order(StringComparer.Ordinal)))}")
            : (AccessOutcome.Unauthenticated, $"{method} needs a bearer token with {rule.Describe(queueId)}");
    }
}
