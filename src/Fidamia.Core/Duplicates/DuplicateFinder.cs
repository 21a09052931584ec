using Fidamia.Core.Geo;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Storage;

namespace Fidamia.Core.Duplicates;

/// <summary>Looks up open reports near a new one (an indexed box in the store) and lets <see cref="DuplicatePolicy"/> decide.</summary>
public sealed class DuplicateFinder(IReviewStore store, DuplicatePolicy policy)
{
    public async Task<DuplicateMatch?> FindAsync(
        TriageDecision decision, GeoPoint location, DateTimeOffset receivedAt, float[]? embedding, string embeddingModel, ulong hash,
        CancellationToken cancellationToken)
    {
        if (!policy.Options.Enabled || decision.Label is null)
        {
            return null;
        }

        var nearby = await store.FindNearbyAsync(
            location.Lat, location.Lon, policy.RadiusFor(decision.Label), receivedAt - policy.Options.Window, decision.ReportId,
            policy.Options.MaxCandidates, cancellationToken);
        return policy.Find(decision.Label, location, receivedAt, embedding, embeddingModel, hash, nearby);
    }
}
