using System.Collections.Concurrent;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Models;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scoring;

/// <summary>
/// Keeps every prototype memory in step with the store, where every instance writes what it learns: at start it imports a
/// memory kept the old way (a JSON file, renamed once imported) and reads every example of the live model's memory
/// before the service serves; then it reads what was added since, every <see cref="PrototypeOptions.SyncInterval"/>, for
/// every memory (the live model's and those of versions loaded beside it), so an operator's decision on one instance
/// teaches all of them within seconds. Every <see cref="PrototypeOptions.ConsolidateInterval"/> it regroups the labels
/// that learnt something into their prototypes (at start too), off the request path.
/// </summary>
public sealed class PrototypeSync(
    ModelScorers scorers, LiveModel live, IPrototypeStore store, PrototypeJsonFile legacy, IOptions<PrototypeOptions> options, TimeProvider clock,
    ILogger<PrototypeSync> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, long?> _cursors = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _reading = new(1, 1);
    private long _consolidated;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (live.Current.Scorer is PrototypeMemory memory)
        {
            var path = legacy.PathFor(memory.Model);
            if (File.Exists(path))
            {
                var examples = legacy.Load(memory.Model);
                await store.AddAsync(examples.Select(e => new StoredPrototype(memory.Model, e, "seed", e.Weight, null)).ToList(), cancellationToken);
                File.Move(path, path + ".imported", overwrite: true);
            }

            await CatchUpAsync(memory, cancellationToken);
            memory.Consolidate(cancellationToken);
            Log.PrototypesLoaded(logger, memory.Model, memory.Count, memory.CountsByLabel.Count);
        }

        _consolidated = clock.GetTimestamp();
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Reads what the store holds for the memory's model and this instance has not read yet.</summary>
    public async Task CatchUpAsync(PrototypeMemory memory, CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            var (examples, cursor) = await store.ReadAsync(memory.Model, _cursors.GetValueOrDefault(memory.Model), cancellationToken);
            if (examples.Count > 0)
            {
                memory.Add(examples.Where(e => !memory.Contains(e.Example.Id)).Select(e => e.Example));
            }

            _cursors[memory.Model] = cursor;
        }
        finally
        {
            _reading.Release();
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _reading.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.SyncInterval, clock, stoppingToken);
                var due = clock.GetElapsedTime(_consolidated) >= options.Value.ConsolidateInterval;
                foreach (var memory in scorers.Memories)
                {
                    await CatchUpAsync(memory, stoppingToken);
                    if (due && memory.NeedsConsolidation)
                    {
                        memory.Consolidate(stoppingToken);
                    }
                }

                if (due)
                {
                    _consolidated = clock.GetTimestamp();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException or IOException)
            {
                Log.PrototypeSyncFailed(logger, ex);
            }
        }
    }
}
