using System.Buffers;
using System.Diagnostics;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;

namespace Fidamia.Core.Pipeline;

/// <summary>
/// The hot path from photo bytes to model output: decode, write the input tensor into a pooled
/// buffer, run the model. Shared by triage and by everything that learns from photos, so both
/// see a photo exactly the same way.
/// </summary>
public sealed class PhotoModelRunner(IPhotoDecoder decoder, IImageModel model, FidamiaMetrics metrics)
{
    public ModelDescriptor Model => model.Descriptor;

    public (PhotoMetadata Photo, float[] Output) Run(ReadOnlyMemory<byte> photo, CancellationToken cancellationToken)
    {
        var descriptor = model.Descriptor;
        var spec = descriptor.Input;
        var output = new float[descriptor.OutputLength];
        var buffer = ArrayPool<float>.Shared.Rent(spec.Length);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            PhotoMetadata metadata;
            var started = Stopwatch.GetTimestamp();
            using (var decoded = decoder.Decode(photo, spec, cancellationToken))
            {
                metadata = decoded.Metadata;
                started = Completed("decode", started);
                cancellationToken.ThrowIfCancellationRequested();
                decoded.WriteTensor(spec, buffer.AsSpan(0, spec.Length));
                started = Completed("preprocess", started);
            }

            cancellationToken.ThrowIfCancellationRequested();
            model.Run(buffer.AsMemory(0, spec.Length), output, cancellationToken);
            Completed("infer", started);
            return (metadata, output);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private long Completed(string stage, long started)
    {
        var now = Stopwatch.GetTimestamp();
        metrics.StageCompleted(stage, Stopwatch.GetElapsedTime(started, now).TotalSeconds);
        return now;
    }
}
