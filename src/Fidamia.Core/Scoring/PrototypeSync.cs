using Fidamia.Core.Diagnostics;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scoring;

/// <summary>
/// Keeps the prototype memory in step with the store, where every instance writes what it learns: at start it imports a
/// memory kept the old way (a JSON file, renamed once imported) and reads every example before the service serves; then
/// it reads what was added since, every <see cref="PrototypeOptions.SyncInterval"/>, so an operator's decision on one
/// instance teaches all of them within seconds. Every <see cref="PrototypeOptions.ConsolidateInterval"/> it regroups the
/// labels that learnt something into their prototypes (at start too), off the request path.
/// </summary>
public sealed class PrototypeSync(
    IImageScorer scorer, IPrototypeStore store, PrototypeJsonFile legacy, IOptions<PrototypeOptions> options, TimeProvider clock, ILogger<PrototypeSync> logger)
    : BackgroundService
{
    private long? _cursor;
    private long _consolidated;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (scorer is not PrototypeMemory memory)
        {
            return;
        }

        var path = legacy.PathFor(memory.Model);
        if (File.Exists(path))
        {
            var examples = legacy.Load(memory.Model);
            await store.AddAsync(examples.Select(e => new StoredPrototype(memory.Model, e, "seed", e.Weight, null)).ToList(), cancellationToken);
            File.Move(path, path + ".imported", overwrite: true);
        }

        await CatchUpAsync(memory, cancellationToken);
        memory.Consolidate(cancellationToken);
        _consolidated = clock.GetTimestamp();
        Log.PrototypesLoaded(logger, memory.Model, memory.Count, memory.CountsByLabel.Count);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (scorer is not PrototypeMemory memory)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.SyncInterval, clock, stoppingToken);
                await CatchUpAsync(memory, stoppingToken);
                if (memory.NeedsConsolidation && clock.GetElapsedTime(_consolidated) >= options.Value.ConsolidateInterval)
                {
                    memory.Consolidate(stoppingToken);
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

    private async Task CatchUpAsync(PrototypeMemory memory, CancellationToken cancellationToken)
    {
        var (examples, cursor) = await store.ReadAsync(memory.Model, _cursor, cancellationToken);
        if (examples.Count > 0)
        {
            memory.Add(examples.Where(e => !memory.Contains(e.Example.Id)).Select(e => e.Example));
        }

        _cursor = cursor;
    }
}
