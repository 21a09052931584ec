using System.Buffers;
using Fidamia.Core.Errors;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Fidamia.Core.Scoring;

/// <summary>How far a re-embedding has gone; read while it runs.</summary>
public sealed class ReembeddingProgress(string fromModel)
{
    private int _total;
    private int _done;
    private int _skipped;
    private int _failed;
    private volatile bool _finished;

    /// <summary>The model whose operators' examples are re-embedded.</summary>
    public string FromModel { get; } = fromModel;

    public int Total { get => Volatile.Read(ref _total); internal set => Volatile.Write(ref _total, value); }

    public int Done => Volatile.Read(ref _done);

    /// <summary>Examples whose photo is gone (retention) or no longer decodes.</summary>
    public int Skipped => Volatile.Read(ref _skipped);

    public int Failed => Volatile.Read(ref _failed);

    public bool Finished { get => _finished; internal set => _finished = value; }

    /// <summary>Why it stopped early, if it did.</summary>
    public string? Error { get; internal set; }

    internal void Counted(int done, int skipped, int failed)
    {
        Interlocked.Add(ref _done, done);
        Interlocked.Add(ref _skipped, skipped);
        Interlocked.Add(ref _failed, failed);
    }
}

/// <summary>
/// A new embedding model starts with a memory of its own feature space: this reads what operators taught the live model
/// (its stored examples of reports, as the operators labelled them), runs the stored photos through the new model, and
/// stores and learns the new embeddings under the same labels and ids, so the new model does not start cold. Seed
/// photos and citizens' declarations are not carried over (seeds come back from the seed folder; declarations with
/// the next reports). Runs in the background, one photo at a time, on the new model's own session.
/// </summary>
public sealed partial class PrototypeReembedder(
    IPrototypeStore prototypes, IReportStore reports, IPhotoArchive archive, IPhotoDecoder decoder, ILogger<PrototypeReembedder> logger)
{
    private const int BatchSize = 16;

    public async Task RunAsync(ServedModel target, PrototypeMemory memory, ReembeddingProgress progress, CancellationToken cancellationToken)
    {
        if (!target.TryAcquire())
        {
            progress.Error = "the model was unloaded";
            progress.Finished = true;
            return;
        }

        try
        {
            var (examples, _) = await prototypes.ReadAsync(progress.FromModel, null, cancellationToken);
            var taught = examples.Where(e => e is { Source: "operator", ReportId: not null } && !memory.Contains(e.Example.Id)).ToList();
            progress.Total = taught.Count;
            foreach (var chunk in taught.Chunk(BatchSize))
            {
                var batch = new List<StoredPrototype>();
                var (skipped, failed) = (0, 0);
                foreach (var example in chunk)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var stored = await reports.FindAsync(example.ReportId!, cancellationToken);
                    var photo = stored is null || stored.Report.PhotoDeletedAt is not null ? null : await archive.ReadAsync(stored.Report.PhotoSha256, cancellationToken);
                    if (photo is null)
                    {
                        skipped++;
                        continue;
                    }

                    try
                    {
                        var embedding = Embed(target, photo, cancellationToken);
                        batch.Add(example with
                        {
                            Model = memory.Model,
                            Example = example.Example with { Embedding = embedding, Weight = example.Weight },
                        });
                    }
                    catch (InvalidReportException)
                    {
                        skipped++;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        failed++;
                        LogFailed(logger, example.ReportId!, ex);
                    }
                }

                await prototypes.AddAsync(batch, cancellationToken);
                memory.Add(batch.Select(b => b.Example));
                progress.Counted(batch.Count, skipped, failed);
            }

            memory.Consolidate(cancellationToken);
            LogDone(logger, progress.FromModel, memory.Model, progress.Done, progress.Skipped, progress.Failed);
        }
        catch (OperationCanceledException)
        {
            progress.Error = "cancelled";
        }
        catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException or IOException)
        {
            progress.Error = ex.Message;
            LogStopped(logger, memory.Model, ex);
        }
        finally
        {
            progress.Finished = true;
            target.Release();
        }
    }

    private float[] Embed(ServedModel target, byte[] photo, CancellationToken cancellationToken)
    {
        var spec = target.Descriptor.Input;
        var buffer = ArrayPool<float>.Shared.Rent(spec.Length);
        try
        {
            decoder.DecodeInto(photo, spec, buffer.AsSpan(0, spec.Length), cancellationToken);

            var output = new float[target.Descriptor.OutputLength];
            target.Model.Run(buffer.AsMemory(0, spec.Length), output, cancellationToken);
            return PrototypeMemory.Normalized(output);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(EventId = 1050, Level = LogLevel.Information, Message = "Re-embedded the examples of {From} for {To}: {Done} learnt, {Skipped} without photo, {Failed} failed")]
    private static partial void LogDone(ILogger logger, string from, string to, int done, int skipped, int failed);

    [LoggerMessage(EventId = 1051, Level = LogLevel.Warning, Message = "Re-embedding report {ReportId} failed")]
    private static partial void LogFailed(ILogger logger, string reportId, Exception exception);

    [LoggerMessage(EventId = 1052, Level = LogLevel.Warning, Message = "Re-embedding for {Model} stopped")]
    private static partial void LogStopped(ILogger logger, string model, Exception exception);
}
