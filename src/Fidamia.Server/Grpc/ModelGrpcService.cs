using Fidamia.Core.Security;
using Fidamia.Server.Security;
using Fidamia.Inference;
using Fidamia.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ModelStatus = Fidamia.Protos.V1.ModelStatus;

namespace Fidamia.Server.Grpc;

/// <summary>Model administration: maps requests to <see cref="ModelManager"/> and its answers back.</summary>
public sealed class ModelGrpcService(ModelManager models) : ModelService.ModelServiceBase
{
    [Requires(Roles.Models)]
    public override Task<ListModelsResponse> List(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListModelsResponse { Versions = { models.List().Select(ToProto) } });

    [Requires(Roles.Models)]
    public override async Task<ModelVersion> Load(LoadModelRequest request, ServerCallContext context) =>
        ToProto(await models.LoadAsync(request.Name, request.Version, context.CancellationToken));

    [Requires(Roles.Models)]
    public override async Task<ModelStatus> Activate(ActivateModelRequest request, ServerCallContext context) =>
        ToProto(await models.ActivateAsync(request.Name, request.Version, request.Force, context.CancellationToken));

    [Requires(Roles.Models)]
    public override async Task<ModelStatus> Rollback(RollbackModelRequest request, ServerCallContext context) =>
        ToProto(await models.RollbackAsync(context.CancellationToken));

    [Requires(Roles.Models)]
    public override async Task<ModelVersion> Unload(UnloadModelRequest request, ServerCallContext context) =>
        ToProto(await models.UnloadAsync(request.Name, request.Version, context.CancellationToken));

    [Requires(Roles.Models)]
    public override Task<ModelStatus> Status(ModelStatusRequest request, ServerCallContext context) => Task.FromResult(ToProto(models.Status()));

    [Requires(Roles.Models)]
    public override async Task<ModelStatus> Shadow(ShadowModelRequest request, ServerCallContext context) =>
        ToProto(await models.ShadowAsync(request.Name, request.Version, request.SampleRate, context.CancellationToken));

    [Requires(Roles.Models)]
    public override async Task<ModelStatus> StopShadow(StopShadowRequest request, ServerCallContext context) =>
        ToProto(await models.StopShadowAsync(context.CancellationToken));

    private static ModelStatus ToProto(Inference.ModelStatus status)
    {
        var proto = new ModelStatus { Live = ToProto(status.Live), Loaded = { status.Loaded.Select(ToProto) } };
        if (status.Previous is { } previous)
        {
            proto.Previous = ToProto(previous);
        }

        if (status.Shadow is { } shadow)
        {
            var counts = shadow.Counters.Counts;
            proto.Shadow = new ShadowStatus
            {
                Candidate = ToProto(shadow.Candidate),
                SampleRate = shadow.Counters.SampleRate,
                Since = Timestamp.FromDateTimeOffset(shadow.Counters.Since),
                Sampled = shadow.Counters.Sampled,
                Dropped = shadow.Counters.Dropped,
                Failed = shadow.Counters.Failed,
                Compared = counts.Compared,
                Agreement = counts.Agreement ?? 0,
                Resolved = counts.Resolved,
                LiveAccuracy = counts.LiveAccuracy ?? 0,
                CandidateAccuracy = counts.CandidateAccuracy ?? 0,
                Labels =
                {
                    counts.Labels.Select(l => new ShadowLabel
                    {
                        Label = l.Label, Compared = l.Compared, Agreed = l.Agreed, Agreement = l.Agreement ?? 0, Resolved = l.Resolved,
                        LiveRight = l.LiveRight, CandidateRight = l.CandidateRight,
                    }),
                },
                Confusion =
                {
                    counts.Confusion.OrderBy(c => c.Key.Live, StringComparer.Ordinal).ThenBy(c => c.Key.Candidate, StringComparer.Ordinal)
                        .Select(c => new ShadowConfusion { Live = c.Key.Live, Candidate = c.Key.Candidate, Count = c.Value }),
                },
            };
        }

        return proto;
    }

    private static ModelVersion ToProto(ModelVersionInfo info)
    {
        var proto = new ModelVersion
        {
            Name = info.Name,
            Version = info.Version,
            State = info.State switch
            {
                ModelVersionState.Available => ModelState.Available,
                ModelVersionState.Loading => ModelState.Loading,
                ModelVersionState.Loaded => ModelState.Loaded,
                ModelVersionState.Live => ModelState.Live,
                ModelVersionState.Failed => ModelState.Failed,
                ModelVersionState.Shadow => ModelState.Shadow,
                _ => ModelState.Unspecified,
            },
            Reason = info.Reason ?? "",
            Kind = info.Manifest?.Kind ?? "",
            Precision = info.Manifest is { } manifest ? Precision.Of(manifest) : "",
            Description = info.Manifest?.Description ?? "",
            DerivedFrom = info.Manifest?.DerivedFrom ?? "",
            OutputLength = info.Descriptor?.OutputLength ?? 0,
            MaxBatchSize = info.Descriptor?.MaxBatchSize ?? 0,
            ResidentBytesAtLoad = info.ResidentBytesAtLoad ?? 0,
            Requests = info.Requests,
            ExecutionProvider = info.ExecutionProvider ?? "",
            ManifestJson = info.Manifest?.ToJson() ?? "",
        };
        if (info.Reembedding is { } progress)
        {
            proto.Reembedding = new Reembedding
            {
                FromModel = progress.FromModel, Total = progress.Total, Done = progress.Done, Skipped = progress.Skipped, Failed = progress.Failed,
                Finished = progress.Finished, Error = progress.Error ?? "",
            };
        }

        if (info.Checks is { } checks)
        {
            proto.Checks = new QuantizerChecks
            {
                Passed = checks.Passed, Int8Nodes = checks.Int8Nodes, Fp32Convs = checks.Fp32Convs, Photos = checks.Photos, MinCosine = checks.MinCosine ?? 0,
                MinCosineRequired = checks.MinCosineRequired, Summary = checks.Summary,
            };
        }

        if (info.LoadTime is { } loadTime)
        {
            proto.LoadTime = Duration.FromTimeSpan(loadTime);
        }

        if (info.LoadedAt is { } loadedAt)
        {
            proto.LoadedAt = Timestamp.FromDateTimeOffset(loadedAt);
        }

        if (info.LiveSince is { } liveSince)
        {
            proto.LiveSince = Timestamp.FromDateTimeOffset(liveSince);
        }

        return proto;
    }
}
