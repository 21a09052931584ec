using Fidamia.Core.Security;

namespace Fidamia.Server.Security;

/// <summary>
/// What a gRPC method (or endpoint) needs, read by <see cref="AccessInterceptor"/> from the endpoint's metadata. A
/// method without one is nobody's: deny by default.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public abstract class AccessAttribute : Attribute
{
    public abstract AccessRule Rule { get; }
}

/// <summary>One of the given roles (<c>admin</c> holds them all).</summary>
public sealed class RequiresAttribute(params string[] roles) : AccessAttribute
{
    public override AccessRule Rule { get; } = AccessRule.AnyOf(roles);
}

/// <summary><c>queue:&lt;the request's queue&gt;</c> or <c>queue:*</c>; the request implements <see cref="IQueueRequest"/>.</summary>
public sealed class RequiresQueueAttribute : AccessAttribute
{
    public override AccessRule Rule => AccessRule.NamedQueue;
}

/// <summary>Any queue role: the call carries lease ids, which only the consumer that leased them was given.</summary>
public sealed class RequiresSomeQueueAttribute : AccessAttribute
{
    public override AccessRule Rule => AccessRule.SomeQueue;
}

/// <summary>Any valid token.</summary>
public sealed class RequiresTokenAttribute : AccessAttribute
{
    public override AccessRule Rule => AccessRule.Authenticated;
}

/// <summary>No token: probes.</summary>
public sealed class NoTokenAttribute : AccessAttribute
{
    public override AccessRule Rule => AccessRule.Anonymous;
}

/// <summary>A request that names one queue.</summary>
public interface IQueueRequest
{
    string QueueId { get; }
}
