using Fidamia.Core.Diagnostics;
using Fidamia.Imaging;
using Fidamia.Server.Grpc;
using Fidamia.Server.Security;
using Grpc.HealthCheck;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Fidamia.Server;

public static class ServerHostingExtensions
{
    private const string PipelineCheck = "pipeline";
    private const string StoreCheck = "store";

    // What operators, teams and the dataset export need is the store, not the model.
    private static readonly string[] StoreOnlyServices = ["fidamia.v1.ReviewService", "fidamia.v1.QueueService", "fidamia.v1.DatasetService"];

    // Room for the other fields of a request beside the largest accepted photo.
    private const int EnvelopeAllowance = 64 * 1024;

    // Any request but Triage's: ids, a queue name, a note of 2000 characters, an Ack's lease ids. None carries a photo,
    // and a request of megabytes would only be spent parsing.
    internal const int OtherRequestLimit = 1024 * 1024;

    /// <summary>gRPC (with health and reflection), error mapping, start-up checks and telemetry.</summary>
    public static IHostApplicationBuilder AddFidamiaServer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Registered after Kestrel's own factory, so Kestrel and its socket transport resolve this one.
        services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();

        services.AddSingleton<ErrorMappingInterceptor>();
        services.AddSingleton<DrainingInterceptor>();
        services.AddSingleton<AccessInterceptor>();
        services.AddOptions<RateLimitOptions>()
            .Bind(builder.Configuration.GetSection(RateLimitOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ClientRateLimiter>();
        services.AddGrpc(options =>
        {
            // Outermost first: refusals (shutting down, access) are mapped and counted like any other error.
            options.Interceptors.Add<ErrorMappingInterceptor>();
            options.Interceptors.Add<DrainingInterceptor>();
            options.Interceptors.Add<AccessInterceptor>();
            options.EnableDetailedErrors = false;
            options.MaxReceiveMessageSize = OtherRequestLimit;
        });
        // Only Triage takes a photo: its limit follows the largest accepted one.
        services.AddOptions<global::Grpc.AspNetCore.Server.GrpcServiceOptions<TriageGrpcService>>()
            .Configure<IOptions<ImagingOptions>>((grpc, imaging) =>
                grpc.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, imaging.Value.MaxPhotoBytes + EnvelopeAllowance));
        services.AddGrpcReflection();
        // grpc.health.v1: the empty name is the whole server; each service answers for what it needs.
        services.AddGrpcHealthChecks(health =>
            {
                health.Services.Map("", _ => true);
                health.Services.Map("fidamia.v1.TriageService", _ => true);
                health.Services.Map("fidamia.v1.ModelService", check => check.Name == PipelineCheck);
                foreach (var storeOnly in StoreOnlyServices)
                {
                    health.Services.Map(storeOnly, check => check.Name == StoreCheck);
                }
            })
            .AddCheck<PipelineReadyCheck>(PipelineCheck)
            .AddCheck<StoreHealthCheck>(StoreCheck);
        services.AddSingleton<PipelineReadyCheck>();
        services.AddSingleton<StoreHealthCheck>();
        services.AddSingleton<Readiness>();
        services.AddHostedService<QueueGauges>();
        services.AddHostedService<StartupCheck>();
        services.AddOptions<ServerOptions>()
            .Bind(builder.Configuration.GetSection(ServerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHostedService<ShutdownDrain>();
        // The host's stop covers the drain and the grace period; what is still running after it is cut.
        services.AddOptions<HostOptions>().Configure<IOptions<ServerOptions>>((host, server) =>
            host.ShutdownTimeout = server.Value.DrainDelay + server.Value.ShutdownGracePeriod);
        // A failure to start is reported once, without its stack trace, by StartupProblems; the host would log it
        // again with the trace. Its other Error event is a faulted BackgroundService, and the service has none.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // Each log line carries the trace and span of the call it belongs to (shown by the JSON formatter, which the
        // container selects: Logging:Console:FormatterName=json).
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        services.Configure<Microsoft.Extensions.Logging.Console.JsonConsoleFormatterOptions>(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        var otlp = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                // Ours, ASP.NET Core's and Kestrel's (requests, connections) and the runtime's (GC, threads, memory).
                metrics.AddMeter(FidamiaMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime");
                metrics.AddPrometheusExporter();
                if (!string.IsNullOrEmpty(otlp))
                {
                    metrics.AddOtlpExporter();
                }
            })
            .WithTracing(tracing =>
            {
                // ASP.NET Core's request span, made from the caller's W3C trace context (traceparent): ours go under it.
                tracing.AddSource("Microsoft.AspNetCore");
                tracing.AddSource(FidamiaMetrics.ActivitySourceName);
                if (!string.IsNullOrEmpty(otlp))
                {
                    tracing.AddOtlpExporter();
                }
            });
        return builder;
    }

    public static WebApplication MapFidamiaServer(this WebApplication app)
    {
        app.UseMiddleware<PhotoBytesAdmission>();
        // gRPC methods are let through ASP.NET Core's authorization and checked by AccessInterceptor, which answers
        // with a gRPC status that names the missing role (ASP.NET Core's would be a bare HTTP 401 or 403).
        app.MapGrpcService<TriageGrpcService>().AllowAnonymous();
        app.MapGrpcService<QueueGrpcService>().AllowAnonymous();
        app.MapGrpcService<ReviewGrpcService>().AllowAnonymous();
        app.MapGrpcService<DatasetGrpcService>().AllowAnonymous();
        app.MapGrpcService<ModelGrpcService>().AllowAnonymous();
        app.MapGrpcHealthChecksService().AllowAnonymous().WithMetadata(new NoTokenAttribute());
        app.MapGrpcReflectionService().AllowAnonymous().WithMetadata(new RequiresTokenAttribute());

        // The HTTP endpoint's (Kestrel:Endpoints:Http, HTTP/1.1): probes and the Prometheus scrape, for the kubelet and
        // the cluster's Prometheus, which carry no token. Any other HTTP endpoint needs one (the fallback policy).
        app.MapGet("/healthz", () => Results.Text("ok\n")).AllowAnonymous();
        app.MapGet("/readyz", async (Readiness readiness, CancellationToken cancellationToken) =>
            await readiness.CheckAsync(cancellationToken) is { } notReady
                ? Results.Text($"not ready: {notReady}\n", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ready\n")).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return app;
    }
}
