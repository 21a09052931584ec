using Fidamia.Core.Security;
using Fidamia.Server.Security;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using DomainStatus = Fidamia.Core.Pipeline.TriageStatus;

namespace Fidamia.Server.Grpc;

/// <summary>A thin adapter: maps the request to the domain, calls the pipeline, maps the decision back. Errors map in <see cref="ErrorMappingInterceptor"/>.</summary>
[BindServiceMethod(typeof(TriageServiceBinding), nameof(TriageServiceBinding.BindService))]
public sealed class TriageGrpcService(TriagePipeline pipeline) : TriageService.TriageServiceBase
{
    [Requires(Roles.Triage)]
    public override async Task<TriageResponse> Triage(TriageRequest request, ServerCallContext context)
    {
        try
        {
            var decision = await pipeline.TriageAsync(ToDomain(request), context.CancellationToken);
            return ToProto(decision);
        }
        finally
        {
            // The pipeline reads the photo only while it runs (what it keeps, it copies): its pooled array goes back.
            request.ReturnPhoto();
        }
    }

    [Requires(Roles.Triage, Roles.Review, Roles.AnyQueue)]
    public override async Task<TriageResponse> GetReport(GetReportRequest request, ServerCallContext context) =>
        ToProto(await pipeline.GetReportAsync(request.ReportId, context.CancellationToken));

    internal static TriageReport ToDomain(TriageRequest request) => new()
    {
        ReportId = request.ReportId,
        Photo = request.Photo.Memory,
        Location = request.Location is { } l ? new Core.Geo.GeoPoint(l.Lat, l.Lon, l.AccuracyM) : null,
        DeclaredCategory = string.IsNullOrEmpty(request.DeclaredCategory) ? null : request.DeclaredCategory,
        Description = request.Description,
        Channel = (ReportChannel)(int)request.Channel,
        ReportedAt = request.ReportedAt is { } t ? ToDateTimeOffset(t) : null,
    };

    internal static TriageResponse ToProto(TriageDecision decision)
    {
        var response = new TriageResponse
        {
            ReportId = decision.ReportId,
            Status = decision.Status switch
            {
                DomainStatus.Routed => Protos.V1.TriageStatus.Routed,
                DomainStatus.NeedsReview => Protos.V1.TriageStatus.NeedsReview,
                DomainStatus.Duplicate => Protos.V1.TriageStatus.Duplicate,
                DomainStatus.Rejected => Protos.V1.TriageStatus.Rejected,
                _ => Protos.V1.TriageStatus.Unspecified,
            },
            Label = decision.Label is { } label ? new Label { Code = label.Code, Name = label.Name } : null,
            Confidence = decision.Confidence,
            Queue = new Queue { Id = decision.Queue.Id, Name = decision.Queue.Name },
            Context = ToProto(decision.Context),
            Photo = new PhotoInfo
            {
                Width = decision.Photo.Width,
                Height = decision.Photo.Height,
                Format = decision.Photo.Format,
            },
            Model = new ModelInfo { Name = decision.ModelName, Version = decision.ModelVersion },
            DuplicateOf = decision.DuplicateOf ?? "",
            ReportCount = decision.ReportCount,
        };
        if (decision.Photo.ExifLocation is { } exif)
        {
            response.Photo.ExifLocation = new Protos.V1.GeoPoint { Lat = exif.Lat, Lon = exif.Lon };
        }

        if (decision.DeclaredToExifDistanceM is { } distance)
        {
            response.Photo.DeclaredToExifDistanceM = distance;
        }

        if (decision.Photo.TakenAt is { } takenAt)
        {
            response.Photo.TakenAt = Timestamp.FromDateTimeOffset(takenAt);
        }

        response.Candidates.AddRange(decision.Candidates.Select(c => new Candidate { Code = c.Code, Score = c.Score }));
        response.Explanation.AddRange(decision.Explanation);
        return response;
    }

    internal static Context ToProto(Core.Location.LocationContext context)
    {
        var proto = new Context
        {
            Commune = new Commune { Insee = context.Commune.Insee, Name = context.Commune.Name },
            Territory = context.Territory,
            Arrondissement = context.Arrondissement?.Insee ?? "",
        };
        proto.Zones.AddRange(context.Zones.Select(z => new Zone { Layer = z.Layer, Id = z.Id, Type = z.Type, Name = z.Name }));
        if (context.Road is { } road)
        {
            proto.Road = new Road { Id = road.Id, Name = road.Name, Owner = road.Owner, DistanceM = road.DistanceM };
        }

        if (context.NearBoundaryM is { } nearBoundary)
        {
            proto.NearBoundaryM = nearBoundary;
        }

        return proto;
    }

    private static DateTimeOffset ToDateTimeOffset(Timestamp timestamp)
    {
        try
        {
            return timestamp.ToDateTimeOffset();
        }
        catch (InvalidOperationException ex)
        {
            throw new Core.Errors.InvalidReportException("reported_at", "is not a valid timestamp", ex);
        }
    }
}
