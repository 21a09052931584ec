using Fidamia.Core.Models;
using System.Security.Cryptography;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Errors;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scoring;

/// <summary>
/// At start, teaches the prototype memory from an ImageFolder (<c>DIR/&lt;label code&gt;/*.jpg|png|webp</c>).
/// Each photo's id is its content hash, so restarting with the same folder learns nothing twice.
/// A folder named after no label stops start-up: a typo there would silently teach nothing.
/// </summary>
public sealed class PrototypeSeeder(
    IOptions<PrototypeOptions> options,
    Taxonomy.Taxonomy taxonomy,
    PhotoModelRunner runner,
    LiveModel live,
    IPrototypeStore store,
    ILogger<PrototypeSeeder> logger) : IHostedService
{
    private static readonly string[] PhotoExtensions = [".jpg", ".jpeg", ".png", ".webp"];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (live.Current.Scorer is not PrototypeMemory memory)
        {
            return;
        }

        if (string.IsNullOrEmpty(options.Value.SeedPath))
        {
            return;
        }

        var root = Path.GetFullPath(options.Value.SeedPath);
        var examples = new List<PrototypeExample>();
        var skipped = 0;
        foreach (var labelDirectory in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var code = Path.GetFileName(labelDirectory);
            if (taxonomy.Find(code) is null)
            {
                throw new InvalidOperationException($"Prototypes:SeedPath: folder '{code}' in {root} is not a label code of the taxonomy");
            }

            foreach (var file in Directory.EnumerateFiles(labelDirectory).Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!PhotoExtensions.Contains(Path.GetExtension(file).ToLowerInvariant()))
                {
                    continue;
                }

                var bytes = File.ReadAllBytes(file);
                var id = "seed:" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..32];
                if (memory.Contains(id))
                {
                    skipped++;
                    continue;
                }

                try
                {
                    examples.Add(new PrototypeExample(id, code, (await runner.RunAsync(bytes, cancellationToken)).Output));
                }
                catch (InvalidReportException ex)
                {
                    Log.SeedPhotoSkipped(logger, Path.GetRelativePath(root, file), ex.Message);
                }
            }
        }

        var added = await store.AddAsync(examples.Select(e => new StoredPrototype(memory.Model, e, "seed", 1, null)).ToList(), cancellationToken);
        memory.Add(examples);
        memory.Consolidate(cancellationToken);

        Log.PrototypesSeeded(logger, added, root, skipped);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
