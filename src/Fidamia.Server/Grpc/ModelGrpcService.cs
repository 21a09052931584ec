using Fidamia.Inference;
using Fidamia.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ModelStatus = Fidamia.Protos.V1.ModelStatus;

namespace Fidamia.Server.Grpc;

/// <summary>Model administration: maps requests to <see cref="ModelManager"/> and its answers back.</summary>
public sealed class ModelGrpcService(ModelManager models) : ModelService.ModelServiceBase
{
    public override Task<ListModelsResponse> List(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListModelsResponse { Versions = { models.List().Select(ToProto) } });

    public override async Task<ModelVersion> Load(LoadModelRequest request, ServerCallContext context) =>
        ToProto(await models.LoadAsync(request.Name, request.Version, context.CancellationToken));

    public override async Task<ModelStatus> Activate(ActivateModelRequest request, ServerCallContext context) =>
        ToProto(await models.ActivateAsync(request.Name, request.Version, request.Force, context.CancellationToken));

    public override async Task<ModelStatus> Rollback(RollbackModelRequest request, ServerCallContext context) =>
        ToProto(await models.RollbackAsync(context.CancellationToken));

    public override async Task<ModelVersion> Unload(UnloadModelRequest request, ServerCallContext context) =>
        ToProto(await models.UnloadAsync(request.Name, request.Version, context.CancellationToken));

    public override Task<ModelStatus> Status(ModelStatusRequest request, ServerCallContext context) => Task.FromResult(ToProto(models.Status()));

    private static ModelStatus ToProto(Inference.ModelStatus status)
    {
        var proto = new ModelStatus { Live = ToProto(status.Live), Loaded = { status.Loaded.Select(ToProto) } };
        if (status.Previous is { } previous)
        {
            proto.Previous = ToProto(previous);
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
        };
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
