using System.Diagnostics;
using Fidamia.Core.Errors;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using RpcStatus = Google.Rpc.Status;

namespace Fidamia.Server.Grpc;

/// <summary>
/// The one place where domain errors become gRPC statuses with google.rpc details. Logs carry
/// the method and the reason, never the request's content.
/// </summary>
public sealed partial class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger, Core.Diagnostics.FidamiaMetrics metrics) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        MappedAsync(() => continuation(request, context), context);

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        MappedAsync(async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        }, context);

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        MappedAsync(() => continuation(requestStream, context), context);

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        MappedAsync(async () =>
        {
            await continuation(requestStream, responseStream, context);
            return true;
        }, context);

    /// <summary>Runs the call; counts it as OK, or maps its exception to a status, counts that and throws it.</summary>
    private async Task<T> MappedAsync<T>(Func<Task<T>> call, ServerCallContext context)
    {
        try
        {
            var result = await call();
            metrics.RpcAnswered(context.Method, "OK");
            return result;
        }
        catch (Exception ex) when (Answered(ToRpcException(ex, context) ?? ex as RpcException, context) is { } rpc)
        {
            throw rpc;
        }
    }

    /// <summary>Counts the call by its status; returns the exception to throw (null: rethrow the original, unchanged).</summary>
    private RpcException? Answered(RpcException? rpc, ServerCallContext context)
    {
        metrics.RpcAnswered(context.Method, rpc is null ? "UNKNOWN" : CodeName(rpc.StatusCode));
        return rpc;
    }

    /// <summary>The canonical name (INVALID_ARGUMENT) of a status code (InvalidArgument).</summary>
    private static string CodeName(StatusCode code)
    {
        var name = code.ToString();
        var canonical = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                canonical.Append('_');
            }

            canonical.Append(char.ToUpperInvariant(name[i]));
        }

        return canonical.ToString();
    }

    internal RpcException? ToRpcException(Exception exception, ServerCallContext context)
    {
        switch (exception)
        {
            case RpcException:
                return null;
            case InvalidRequestException invalid:
                {
                    var badRequest = new BadRequest();
                    badRequest.FieldViolations.AddRange(invalid.Violations.Select(v => new BadRequest.Types.FieldViolation
                    {
                        Field = v.Field,
                        Description = v.Description,
                    }));
                    var what = invalid is InvalidReportException ? "The report is invalid: " : "The request is invalid: ";
                    return Build(Code.InvalidArgument, what + string.Join("; ", invalid.Violations.Select(v => $"{v.Field} {v.Description}")), badRequest);
                }

            case ReportConflictException conflict:
                return Build(Code.AlreadyExists, conflict.Message);
            case NotFoundException notFound:
                return Build(Code.NotFound, notFound.Message);
            case PreconditionFailedException failed:
                return Build(Code.FailedPrecondition, failed.Message, new PreconditionFailure
                {
                    Violations = { new PreconditionFailure.Types.Violation { Type = failed.Type, Subject = failed.Subject, Description = failed.Message } },
                });
            case UnauthenticatedException unauthenticated:
                return Build(Code.Unauthenticated, unauthenticated.Message);
            case UnavailableException unavailable:
                return Build(Code.Unavailable, unavailable.Message);
            case PermissionDeniedException denied:
                return Build(Code.PermissionDenied, denied.Message);
            case CapacityExceededException capacity:
                return Build(
                    Code.ResourceExhausted,
                    capacity.Message,
                    new RetryInfo { RetryDelay = Duration.FromTimeSpan(capacity.RetryAfter) });
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return context.Deadline <= DateTime.UtcNow
                    ? Build(Code.DeadlineExceeded, "The deadline passed before the report was triaged")
                    : Build(Code.Cancelled, "The call was cancelled before the report was triaged");
            default:
                // The caller quotes this id; the log line below carries the same one with the exception.
                var traceId = (Activity.Current?.TraceId ?? ActivityTraceId.CreateRandom()).ToHexString();
                LogUnexpected(logger, exception, context.Method, traceId);
                return Build(Code.Internal, $"Internal error; the report was not triaged (trace {traceId})");
        }
    }

    private static RpcException Build(Code code, string message, params Google.Protobuf.IMessage[] details)
    {
        var status = new RpcStatus { Code = (int)code, Message = message };
        foreach (var detail in details)
        {
            status.Details.Add(Any.Pack(detail));
        }

        return status.ToRpcException();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Unexpected failure in {Method} (trace {TraceId})")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string traceId);
}
