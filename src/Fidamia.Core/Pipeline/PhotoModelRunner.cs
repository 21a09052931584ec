using System.Buffers;
using System.Diagnostics;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scheduling;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Pipeline;

/// <summary>
/// The hot path from photo bytes to model output: admit, decode into a pooled tensor, queue it
/// for the model. Shared by triage and by everything that learns from photos, so both see a
/// photo exactly the same way. Decodes of different photos overlap with each other (up to
/// <see cref="SchedulerOptions.MaxConcurrentDecodes"/>) and with the model's runs.
/// </summary>
/// <summary>A photo as the model saw it: what it says about itself, the model's output, its difference hash, and the version that ran with its scorer.</summary>
public sealed record PhotoRun(PhotoMetadata Photo, float[] Output, ulong Hash, ModelDescriptor Model, Scoring.IImageScorer Scorer);

public sealed class PhotoModelRunner : IDisposable
{
    private readonly IPhotoDecoder _decoder;
    private readonly LiveModel _live;
    private readonly InferenceScheduler _scheduler;
    private readonly PhotoAdmission _admission;
    private readonly FidamiaMetrics _metrics;
    private readonly SemaphoreSlim _decodeSlots;

    public PhotoModelRunner(
        IPhotoDecoder decoder,
        LiveModel live,
        InferenceScheduler scheduler,
        PhotoAdmission admission,
        IOptions<SchedulerOptions> options,
        FidamiaMetrics metrics)
    {
        _decoder = decoder;
        _live = live;
        _scheduler = scheduler;
        _admission = admission;
        _metrics = metrics;
        var decodes = options.Value.ResolvedConcurrentDecodes;
        _decodeSlots = new SemaphoreSlim(decodes, decodes);
    }

    /// <summary>The live version: the one the next photo runs on.</summary>
    public ModelDescriptor Model => _live.Current.Descriptor;

    /// <inheritdoc cref="IPhotoDecoder.Precheck"/>
    public Errors.FieldViolation? Precheck(ReadOnlySpan<byte> photo) => _decoder.Precheck(photo);

    /// <summary>
    /// Admits one photo, or throws <see cref="Errors.CapacityExceededException"/>. Callers that do other work for
    /// the photo (hashing, lookups, storing) admit it first, so a refused call costs nothing; dispose the ticket when done.
    /// </summary>
    public PhotoAdmission.Ticket Admit() => _admission.Enter();

    /// <summary>Admits the photo, then decodes it and runs the model.</summary>
    public async Task<PhotoRun> RunAsync(ReadOnlyMemory<byte> photo, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var ticket = Admit();
        return await RunAsync(photo, ticket, cancellationToken);
    }

    /// <summary>Decodes an admitted photo and runs the live model version, which it holds until its run ends.</summary>
    public async Task<PhotoRun> RunAsync(ReadOnlyMemory<byte> photo, PhotoAdmission.Ticket ticket, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var lease = _live.Acquire();
        var served = lease.Served;
        var spec = served.Descriptor.Input;
        var output = new float[served.Descriptor.OutputLength];
        var buffer = ArrayPool<float>.Shared.Rent(spec.Length);
        try
        {
            var metadata = await DecodeAsync(photo, spec, buffer.AsMemory(0, spec.Length), cancellationToken);
            var hash = PhotoHash.Of(buffer.AsSpan(0, spec.Length), spec);
            await _scheduler.InferAsync(served.Model, buffer.AsMemory(0, spec.Length), output, cancellationToken);
            ticket.Completed = true;
            return new PhotoRun(metadata, output, hash, served.Descriptor, served.Scorer);
        }
        finally
        {
            // The scheduler's task completes only once no run reads the buffer any more.
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _decodeSlots.Dispose();

    private async Task<PhotoMetadata> DecodeAsync(ReadOnlyMemory<byte> photo, TensorSpec spec, Memory<float> tensor, CancellationToken cancellationToken)
    {
        await _decodeSlots.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            DecodedPhoto decoded;
            using (FidamiaMetrics.StartStage("decode"))
            {
                decoded = _decoder.Decode(photo, spec, cancellationToken);
            }

            using (decoded)
            {
                started = Completed("decode", started);
                cancellationToken.ThrowIfCancellationRequested();
                using (FidamiaMetrics.StartStage("preprocess"))
                {
                    decoded.WriteTensor(spec, tensor.Span);
                }

                Completed("preprocess", started);
                return decoded.Metadata;
            }
        }
        finally
        {
            _decodeSlots.Release();
        }
    }

    private long Completed(string stage, long started)
    {
        var now = Stopwatch.GetTimestamp();
        _metrics.StageCompleted(stage, Stopwatch.GetElapsedTime(started, now).TotalSeconds);
        return now;
    }
}
