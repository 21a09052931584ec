using Fidamia.Core.Security;
using Fidamia.Server.Security;
using Fidamia.Core.Storage;
using Fidamia.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fidamia.Server.Grpc;

/// <summary>A thin adapter over <see cref="QueueOperations"/>: map, call, map back. Errors map in <see cref="ErrorMappingInterceptor"/>.</summary>
public sealed class QueueGrpcService(QueueOperations queues, Core.Taxonomy.Taxonomy taxonomy, TimeProvider clock) : QueueService.QueueServiceBase
{
    // How often Watch looks again when the queue was empty.
    private static readonly TimeSpan WatchPollInterval = TimeSpan.FromMilliseconds(500);
    private const int DefaultWatchItems = 10;

    [RequiresQueue]
    public override async Task<LeaseResponse> Lease(LeaseRequest request, ServerCallContext context)
    {
        var items = await queues.LeaseAsync(request.Queue, request.MaxItems, Span(request.VisibilityTimeout), context.CancellationToken);
        var response = new LeaseResponse();
        response.Items.AddRange(items.Select(ToProto));
        return response;
    }

    [RequiresSomeQueue]
    public override async Task<AckResponse> Ack(AckRequest request, ServerCallContext context)
    {
        var outcomes = await queues.AckAsync(request.LeaseIds, Actor(context), context.CancellationToken);
        var response = new AckResponse();
        response.UnknownLeaseIds.AddRange(outcomes.Where(o => o.Value == LeaseOutcome.UnknownLease).Select(o => o.Key));
        return response;
    }

    [RequiresSomeQueue]
    public override async Task<NackResponse> Nack(NackRequest request, ServerCallContext context)
    {
        await queues.NackAsync(request.LeaseId, Span(request.RetryAfter), request.Reason, Actor(context), context.CancellationToken);
        return new NackResponse();
    }

    [RequiresQueue]
    public override async Task<RequeueResponse> Requeue(RequeueRequest request, ServerCallContext context) =>
        new() { Requeued = await queues.RequeueAsync(request.Queue, context.CancellationToken) };

    [RequiresSomeQueue]
    public override async Task<StatsResponse> Stats(StatsRequest request, ServerCallContext context)
    {
        var response = new StatsResponse();
        // A team sees its own queues; queue:* and admin see them all.
        var mine = Callers.Of(context).Queues;
        foreach (var stats in await queues.StatsAsync(context.CancellationToken))
        {
            if (mine is not null && !mine.Contains(stats.QueueId))
            {
                continue;
            }

            var proto = new Protos.V1.QueueStats { Queue = stats.QueueId, Depth = stats.Depth, InFlight = stats.InFlight, DeadLetters = stats.DeadLetters };
            if (stats.OldestAge is { } age)
            {
                proto.OldestAge = Duration.FromTimeSpan(age);
            }

            response.Queues.Add(proto);
        }

        return response;
    }

    [RequiresQueue]
    public override async Task Watch(WatchRequest request, IServerStreamWriter<QueueItem> responseStream, ServerCallContext context)
    {
        var maxItems = request.MaxItems == 0 ? DefaultWatchItems : request.MaxItems;
        var visibility = Span(request.VisibilityTimeout);
        while (!context.CancellationToken.IsCancellationRequested)
        {
            var items = await queues.LeaseAsync(request.Queue, maxItems, visibility, context.CancellationToken);
            foreach (var item in items)
            {
                await responseStream.WriteAsync(ToProto(item), context.CancellationToken);
            }

            if (items.Count == 0)
            {
                await Task.Delay(WatchPollInterval, clock, context.CancellationToken);
            }
        }
    }

    private QueueItem ToProto(LeasedItem item)
    {
        var decision = StoredDecisions.ToDecision(item.Report, taxonomy);
        var triage = TriageGrpcService.ToProto(decision);
        var proto = new QueueItem
        {
            LeaseId = item.LeaseId,
            ReportId = item.Report.Report.ReportId,
            Label = triage.Label,
            Confidence = triage.Confidence,
            Context = triage.Context,
            ReceivedAt = Timestamp.FromDateTimeOffset(item.Report.Report.ReceivedAt),
            PhotoSha256 = item.Report.Report.PhotoDeletedAt is null ? item.Report.Report.PhotoSha256 : "",
            Attempts = item.Attempts,
            LeaseExpiresAt = Timestamp.FromDateTimeOffset(item.LeaseExpiresAt),
            Status = triage.Status,
            Queue = triage.Queue,
        };
        proto.Explanation.AddRange(triage.Explanation);
        return proto;
    }

    // The audit trail names who acknowledged: the token's subject (the access check let no call without one through).
    private static string Actor(ServerCallContext context) => Callers.Of(context).Subject ?? "anonymous";

    private static TimeSpan Span(Duration? duration) => duration?.ToTimeSpan() ?? TimeSpan.Zero;
}
