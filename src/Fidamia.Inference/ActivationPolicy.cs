using Fidamia.Core.Scoring;

namespace Fidamia.Inference;

/// <summary>Why a loaded version may not go live yet: the precondition's type and what to tell the caller.</summary>
public sealed record ActivationRefusal(string Type, string Reason);

/// <summary>
/// Whether a loaded version is ready to take the traffic, unless forced: no failed quantizer checks, no re-embedding under
/// way, and no empty memory where the live one has learnt something. Pure: <see cref="ModelManager"/> asks it before a swap.
/// </summary>
public static class ActivationPolicy
{
    /// <param name="nextMemory">The candidate's prototype memory (null for a classifier).</param>
    /// <param name="liveMemory">The live version's (null for a classifier).</param>
    public static ActivationRefusal? Check(DerivedChecks? checks, ReembeddingProgress? reembedding, PrototypeMemory? nextMemory, PrototypeMemory? liveMemory)
    {
        if (checks is { Passed: false })
        {
            return new("CHECKS", $"it failed the quantizer's checks ({checks.Summary}): fix it, or force the swap");
        }

        if (reembedding is { Finished: false })
        {
            return new(
                "REEMBEDDING",
                $"it is still re-embedding what operators taught {reembedding.FromModel} ({reembedding.Done + reembedding.Skipped + reembedding.Failed} of {reembedding.Total}): activate it once that is done, or force the swap");
        }

        if (nextMemory is { Count: 0 } && liveMemory is { Count: > 0 } && !ReferenceEquals(nextMemory, liveMemory))
        {
            return new(
                "COLD_MEMORY",
                $"it has learnt nothing yet while {liveMemory.Model}'s memory holds {liveMemory.Count} examples: it would start cold (re-embed the labelled photos first, or force the swap)");
        }

        return null;
    }
}
