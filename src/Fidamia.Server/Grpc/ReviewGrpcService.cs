using Fidamia.Core.Security;
using Fidamia.Server.Security;
using Fidamia.Core.Review;
using Fidamia.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fidamia.Server.Grpc;

/// <summary>A thin adapter over <see cref="Core.Review.ReviewService"/>: the operator is the token's subject, the rest mapped both ways.</summary>
public sealed class ReviewGrpcService(Core.Review.ReviewService review) : Protos.V1.ReviewService.ReviewServiceBase
{

    [Requires(Roles.Review)]
    public override async Task<ListPendingResponse> ListPending(ListPendingRequest request, ServerCallContext context)
    {
        var filter = request.Filter ?? new PendingFilter();
        var page = await review.ListAsync(
            filter.Territory, filter.CommuneInsee, filter.Label, filter.Family, filter.MinAge?.ToTimeSpan(), request.PageSize, request.PageToken,
            context.CancellationToken);
        var taxonomy = review.Taxonomy;
        var response = new ListPendingResponse
        {
            NextPageToken = page.Next is { } next ? Core.Review.ReviewService.Token(next) : "",
            Total = page.Total,
        };
        foreach (var pending in page.Reports)
        {
            var item = new PendingReport
            {
                Report = TriageGrpcService.ToProto(Core.Storage.StoredDecisions.ToDecision(pending.Report, taxonomy)),
                ReceivedAt = Timestamp.FromDateTimeOffset(pending.Report.Report.ReceivedAt),
            };
            if (pending.Claim is { } claim)
            {
                item.Claim = ToProto(claim);
            }

            response.Reports.Add(item);
        }

        response.Territories.AddRange(page.Territories.OrderByDescending(t => t.Value).Select(t => new ValueCount { Value = t.Key, Name = t.Key, Count = t.Value }));
        response.Communes.AddRange(page.Communes.OrderByDescending(c => c.Value.Count).Select(c => new ValueCount { Value = c.Key, Name = c.Value.Name, Count = c.Value.Count }));
        response.Labels.AddRange(page.Labels.OrderByDescending(l => l.Value).Select(l => new ValueCount
        {
            Value = l.Key,
            Name = taxonomy.Find(l.Key)?.Name ?? "",
            Count = l.Value,
        }));
        response.Families.AddRange(page.Labels
            .GroupBy(l => taxonomy.Find(l.Key)?.Family)
            .Where(g => g.Key is not null)
            .Select(g => new ValueCount { Value = g.Key!.Code, Name = g.Key.Name, Count = g.Sum(l => l.Value) })
            .OrderByDescending(f => f.Count));
        return response;
    }

    [Requires(Roles.Review)]
    public override async Task<ReviewItem> Get(GetReviewRequest request, ServerCallContext context)
    {
        var view = await review.GetAsync(request.ReportId, request.MaxSide, context.CancellationToken);
        var report = view.Stored.Report;
        var item = new ReviewItem
        {
            Report = TriageGrpcService.ToProto(view.Decision),
            DeclaredCategory = report.DeclaredCategory ?? "",
            Description = report.Description ?? "",
            Channel = (Channel)(int)report.Channel,
            ReceivedAt = Timestamp.FromDateTimeOffset(report.ReceivedAt),
            Location = new GeoPoint { Lat = report.Lat, Lon = report.Lon, AccuracyM = report.AccuracyM },
        };
        if (view.Photo is { } photo)
        {
            item.Photo = ByteString.CopyFrom(photo.Jpeg);
            item.PhotoWidth = photo.Width;
            item.PhotoHeight = photo.Height;
        }

        if (view.Claim is { } claim)
        {
            item.Claim = ToProto(claim);
        }

        item.Nearby.AddRange(view.Nearby.Select(n =>
        {
            var nearby = new NearbyReport { ReportId = n.ReportId, DistanceM = n.DistanceM, Label = n.LabelCode ?? "" };
            if (n.Cosine is { } cosine)
            {
                nearby.PhotoCosine = cosine;
            }

            if (n.HashDistance is { } bits)
            {
                nearby.PhotoHashDistance = bits;
            }

            return nearby;
        }));
        return item;
    }

    [Requires(Roles.Review)]
    public override async Task<ClaimResponse> Claim(ClaimRequest request, ServerCallContext context) =>
        new() { Claim = ToProto(await review.ClaimAsync(request.ReportId, Operator(context), context.CancellationToken)) };

    [Requires(Roles.Review)]
    public override async Task<TriageResponse> Resolve(ResolveRequest request, ServerCallContext context) =>
        TriageGrpcService.ToProto(await review.ResolveAsync(
            request.ReportId, Operator(context), request.LabelCode, request.Note, !request.HasUseForLearning || request.UseForLearning,
            context.CancellationToken));

    [Requires(Roles.Review)]
    public override async Task<TriageResponse> Reject(RejectRequest request, ServerCallContext context) =>
        TriageGrpcService.ToProto(await review.RejectAsync(request.ReportId, Operator(context), request.Reason, context.CancellationToken));

    [Requires(Roles.Review)]
    public override async Task<TriageResponse> MarkDuplicate(MarkDuplicateRequest request, ServerCallContext context) =>
        TriageGrpcService.ToProto(await review.MarkDuplicateAsync(request.ReportId, Operator(context), request.OfReportId, context.CancellationToken));

    [Requires(Roles.Review)]
    public override async Task<ReviewStatsResponse> Stats(ReviewStatsRequest request, ServerCallContext context)
    {
        var (labels, declarations) = await review.StatsAsync(request.Since?.ToDateTimeOffset(), context.CancellationToken);
        var response = new ReviewStatsResponse();
        response.Labels.AddRange(labels.Select(l =>
        {
            var label = new Protos.V1.LabelAgreement { Label = l.Label, Decided = l.Decided, Agreed = l.Agreed };
            label.Bands.AddRange(l.Bands.Select(b => new Protos.V1.AgreementBand
            {
                From = b.From, To = b.To, Decided = b.Decided, Agreed = b.Agreed, Agreement = b.Rate ?? 0,
            }));
            return label;
        }));
        response.Declarations.AddRange(declarations
            .OrderBy(d => d.Channel).ThenBy(d => d.Declared, StringComparer.Ordinal)
            .Select(d => new Protos.V1.DeclarationReliability
            {
                Channel = (Channel)(int)d.Channel, Declared = d.Declared ?? "", Reliability = d.Reliability.Rho, Decisions = d.Reliability.Decisions,
            }));
        return response;
    }

    private static string? Operator(ServerCallContext context) => Callers.Of(context).Subject;

    private static Protos.V1.Claim ToProto(Core.Storage.ReviewClaim claim) =>
        new() { Operator = claim.Operator, ExpiresAt = Timestamp.FromDateTimeOffset(claim.ExpiresAt) };
}
