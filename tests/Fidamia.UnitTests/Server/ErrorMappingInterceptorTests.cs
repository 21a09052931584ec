using Fidamia.Core.Errors;
using Fidamia.Server.Grpc;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fidamia.UnitTests.Server;

public class ErrorMappingInterceptorTests
{
    private readonly ErrorMappingInterceptor _interceptor = new(NullLogger<ErrorMappingInterceptor>.Instance, new Fidamia.Core.Diagnostics.FidamiaMetrics(new TestMeterFactory()));

    [Fact]
    public void ToRpcException_InvalidReport_IsInvalidArgumentWithEveryFieldViolation()
    {
        var ex = _interceptor.ToRpcException(
            new InvalidReportException([new FieldViolation("report_id", "is required"), new FieldViolation("location.lat", "must be finite")]),
            new TestContext())!;

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violations = ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations;
        Assert.Equal(["report_id", "location.lat"], violations.Select(v => v.Field));
        Assert.Equal("must be finite", violations[1].Description);
    }

    [Fact]
    public void ToRpcException_CapacityExceeded_IsResourceExhaustedWithARetryHint()
    {
        var ex = _interceptor.ToRpcException(new CapacityExceededException("queue full", TimeSpan.FromMilliseconds(250)), new TestContext())!;

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(TimeSpan.FromMilliseconds(250), ex.GetRpcStatus()!.GetDetail<RetryInfo>()!.RetryDelay.ToTimeSpan());
    }

    [Fact]
    public void ToRpcException_Conflict_IsAlreadyExists()
    {
        var ex = _interceptor.ToRpcException(new ReportConflictException("used"), new TestContext())!;

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
    }

    [Fact]
    public void ToRpcException_UnexpectedFailure_IsInternalWithoutTheExceptionText()
    {
        var ex = _interceptor.ToRpcException(new InvalidOperationException("secret path /home/x"), new TestContext())!;

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.DoesNotContain("secret", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ToRpcException_CancelledByTheCaller_IsCancelled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var ex = _interceptor.ToRpcException(new OperationCanceledException(), new TestContext(cts.Token))!;

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public void ToRpcException_RpcException_IsLeftAlone()
    {
        Assert.Null(_interceptor.ToRpcException(new RpcException(new global::Grpc.Core.Status(StatusCode.NotFound, "x")), new TestContext()));
    }

    private sealed class TestContext(CancellationToken cancellationToken = default) : ServerCallContext
    {
        protected override string MethodCore => "/fidamia.v1.TriageService/Triage";

        protected override string HostCore => "localhost";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore => [];

        protected override CancellationToken CancellationTokenCore => cancellationToken;

        protected override Metadata ResponseTrailersCore => [];

        protected override global::Grpc.Core.Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;

        protected override IDictionary<object, object> UserStateCore { get; } = new Dictionary<object, object>();
    }
}
