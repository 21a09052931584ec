using Fidamia.Core.Errors;
using Fidamia.Core.Security;
using Fidamia.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Fidamia.Server.Security;

/// <summary>
/// Checks every gRPC call against its method's <see cref="AccessAttribute"/> before anything else runs; a method that
/// declares none is refused. The caller's identity, from the bearer token ASP.NET Core validated, is left for the
/// services (<see cref="Callers.Of"/>), and its call taken from its rate limit. Refusals are domain errors, mapped by the
/// error interceptor outside this one.
/// </summary>
public sealed partial class AccessInterceptor(IOptions<AuthOptions> options, ClientRateLimiter rateLimiter, ILogger<AccessInterceptor> logger) : Interceptor
{
    private readonly AuthOptions _options = options.Value;
    private readonly IReadOnlySet<string> _anonymousRoles = options.Value.AnonymousRoles.ToHashSet(StringComparer.Ordinal);

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(request, context);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(request, context);
        await continuation(request, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(null, context);
        return await continuation(requestStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(null, context);
        await continuation(requestStream, responseStream, context);
    }

    private async ValueTask CheckAsync(object? request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var rule = http.GetEndpoint()?.Metadata.GetMetadata<AccessAttribute>()?.Rule;
        var caller = CallerIdentity.From(http.User, _options, _anonymousRoles);
        http.Features.Set(caller);
        var queueId = request is IQueueRequest named ? named.QueueId : null;
        var (outcome, reason) = AccessPolicy.Decide(rule, caller, context.Method, queueId);
        switch (outcome)
        {
            case AccessOutcome.Allowed:
                // Probes are not counted against anyone.
                if (rule!.Kind != AccessKind.Anonymous)
                {
                    rateLimiter.Take(caller);
                }

                return;
            case AccessOutcome.Unauthenticated:
                // The authentication middleware keeps only successes; the handler has the failure cached for this request.
                var failure = (await http.AuthenticateAsync()).Failure;
                LogRefused(logger, context.Method, "UNAUTHENTICATED");
                throw new UnauthenticatedException(failure is null ? reason! : $"{reason}; {WhyInvalid(failure)}");
            default:
                LogRefused(logger, context.Method, "PERMISSION_DENIED");
                throw new PermissionDeniedException(reason!);
        }
    }

    /// <summary>Why the token was refused, in words that give away no key or claim.</summary>
    private static string WhyInvalid(Exception failure) => failure switch
    {
        SecurityTokenExpiredException expired => $"the token presented expired at {expired.Expires:yyyy-MM-ddTHH:mm:ssZ}",
        SecurityTokenNotYetValidException => "the token presented is not valid yet",
        SecurityTokenInvalidAudienceException => "the token presented is for another audience",
        SecurityTokenInvalidIssuerException => "the token presented comes from another issuer",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token presented is not signed by a trusted key",
        _ => "the token presented is not valid",
    };

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Refused {Method}: {Status}")]
    private static partial void LogRefused(ILogger logger, string method, string status);
}

/// <summary>The caller of a gRPC call, as <see cref="AccessInterceptor"/> found it.</summary>
public static class Callers
{
    public static Caller Of(ServerCallContext context) => context.GetHttpContext().Features.Get<Caller>() ?? Caller.Anonymous;
}
