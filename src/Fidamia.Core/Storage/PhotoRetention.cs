using Fidamia.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Fidamia.Core.Storage;

/// <summary>
/// Deletes the photos of reports older than the retention period and records it on the reports, whose decisions stay.
/// A photo sent by several reports goes only once the newest of them is past the period. The file is deleted before the
/// reports are marked, so a crash in between leaves a photo marked late, never one marked and still on disk.
/// </summary>
public sealed class PhotoRetention(IReportStore store, IPhotoArchive archive, TimeProvider clock, ILogger<PhotoRetention> logger)
{
    private const int Batch = 500;

    /// <summary>Deletes every photo past <paramref name="retention"/> now; returns how many photos went.</summary>
    public async Task<int> SweepAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - retention;
        var deleted = 0;
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var expired = await store.FindExpiredPhotosAsync(cutoff, Batch + skipped.Count, cancellationToken);
            var progress = false;
            foreach (var sha256 in expired.Where(s => !skipped.Contains(s)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!archive.Delete(sha256, cutoff))
                {
                    // Sent again a moment ago: the report now being stored will keep it past the cutoff.
                    skipped.Add(sha256);
                    continue;
                }

                await store.MarkPhotoDeletedAsync(sha256, cutoff, clock.GetUtcNow(), cancellationToken);
                deleted++;
                progress = true;
            }

            if (!progress)
            {
                break;
            }
        }

        if (deleted > 0)
        {
            Log.PhotosDeleted(logger, deleted, retention.TotalDays);
        }

        return deleted;
    }
}
