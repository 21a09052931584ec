using System.Buffers;
using System.Buffers.Binary;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Scheduling;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Microsoft.Extensions.Options;

namespace Fidamia.Server;

/// <summary>
/// Counts a Triage request's photo bytes from its first five bytes (the gRPC message header declares the length),
/// before gRPC buffers the message: a request that would pass <see cref="PhotoBytesBudget"/> gets RESOURCE_EXHAUSTED
/// with a retry hint at once, its body unread. Small messages are not counted.
/// <para>
/// GetReport shares Triage's service, so gRPC would take as large a message for it as for a photo, uncounted: its
/// requests are held to the limit of every other method here, from the same header.
/// </para>
/// </summary>
public sealed class PhotoBytesAdmission(
    RequestDelegate next, PhotoBytesBudget budget, PhotoAdmission admission, FidamiaMetrics metrics,
    IOptions<global::Grpc.AspNetCore.Server.GrpcServiceOptions<Grpc.TriageGrpcService>> grpc)
{
    public const string Method = "/fidamia.v1.TriageService/Triage";
    private const string GetReportMethod = "/fidamia.v1.TriageService/GetReport";

    // Below this a request costs little more than its headers; counting starts where a photo does.
    private const long CountedFrom = 64 * 1024;
    private const int HeaderLength = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var triage = request.Path == Method;
        if (!HttpMethods.IsPost(request.Method) || !(triage || request.Path == GetReportMethod)
            || request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
        {
            await next(context);
            return;
        }

        long length;
        try
        {
            var read = await request.BodyReader.ReadAtLeastAsync(HeaderLength, context.RequestAborted);
            length = read.Buffer.Length >= HeaderLength ? DeclaredLength(read.Buffer) : 0;
            // Nothing consumed: gRPC reads the same bytes next.
            request.BodyReader.AdvanceTo(read.Buffer.Start);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The caller went away before its message began: gRPC will find the same.
            await next(context);
            return;
        }

        if (!triage)
        {
            if (length > ServerHostingExtensions.OtherRequestLimit)
            {
                metrics.RpcAnswered(GetReportMethod, "RESOURCE_EXHAUSTED");
                await RefuseAsync(context, string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"The request is {length} bytes; this method takes at most {ServerHostingExtensions.OtherRequestLimit}"), retryAfter: null);
                return;
            }

            await next(context);
            return;
        }

        // Past the message size limit gRPC refuses it before buffering: no need to count it.
        if (length < CountedFrom || length > (grpc.Value.MaxReceiveMessageSize ?? int.MaxValue))
        {
            await next(context);
            return;
        }

        if (!budget.TryReserve(length))
        {
            metrics.RpcAnswered(Method, "RESOURCE_EXHAUSTED");
            await RefuseAsync(context, "The service holds as many photo bytes as it may; retry after the hint", admission.RetryAfter());
            return;
        }

        try
        {
            await next(context);
        }
        finally
        {
            budget.Release(length);
        }
    }

    private static long DeclaredLength(ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        buffer.Slice(0, HeaderLength).CopyTo(header);
        return BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
    }

    /// <summary>
    /// A trailers-only gRPC answer: RESOURCE_EXHAUSTED, with a google.rpc.RetryInfo detail when a retry may succeed, as
    /// the error mapping gives.
    /// </summary>
    private static Task RefuseAsync(HttpContext context, string message, TimeSpan? retryAfter)
    {
        var status = new Google.Rpc.Status { Code = (int)Code.ResourceExhausted, Message = message };
        if (retryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)Code.ResourceExhausted).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
        return response.CompleteAsync();
    }
}
