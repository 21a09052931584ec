using Fidamia.Core.Security;
using Fidamia.Server.Security;
using Fidamia.Core.Storage;
using Fidamia.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fidamia.Server.Grpc;

/// <summary>Streams the human-labelled reports with their photos: one photo in memory at a time, however many there are.</summary>
public sealed class DatasetGrpcService(IReviewStore reviews, IPhotoArchive archive) : DatasetService.DatasetServiceBase
{
    [Requires(Roles.Models)]
    public override async Task Export(ExportRequest request, IServerStreamWriter<DatasetItem> responseStream, ServerCallContext context)
    {
        var since = request.Since?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
        foreach (var outcome in await reviews.ReadHumanOutcomesAsync(since, context.CancellationToken))
        {
            if (outcome.HumanStatus != Core.Pipeline.TriageStatus.Routed || outcome.HumanLabel is not { } label)
            {
                continue;
            }

            var photo = outcome.PhotoDeletedAt is null ? await archive.ReadAsync(outcome.PhotoSha256, context.CancellationToken) : null;
            await responseStream.WriteAsync(new DatasetItem
            {
                ReportId = outcome.ReportId,
                Label = label,
                Source = "human",
                Operator = outcome.Operator,
                ModelName = outcome.ModelName,
                ModelVersion = outcome.ModelVersion,
                ModelLabel = outcome.ModelLabel ?? "",
                ModelConfidence = outcome.ModelConfidence,
                DecidedAt = Timestamp.FromDateTimeOffset(outcome.DecidedAt),
                Photo = photo is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(photo),
                PhotoFormat = outcome.PhotoFormat,
                PhotoDeleted = photo is null,
            }, context.CancellationToken);
        }
    }
}
