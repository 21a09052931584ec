using System.Globalization;
using Fidamia.Core.Context;
using Fidamia.Core.Scoring;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Fusion;

/// <summary>
/// Fuses the evidence into a posterior over the taxonomy:
/// <c>p(l) ∝ image(l) × context(l) × declared(l)</c>, where the declared category is right with probability rho (learnt
/// per channel and declared label from operators, <see cref="DeclarationReliability"/>) and otherwise wrong evenly over
/// the other labels.
/// </summary>
public sealed class EvidenceFusion(Taxonomy.Taxonomy taxonomy, IOptions<TriageOptions> options, DeclarationReliability? reliability = null)
{
    private readonly TriageOptions _options = options.Value;

    public Posterior Fuse(ImageEvidence image, ContextPrior contextPrior, string? declaredCategory, Reports.ReportChannel channel = Reports.ReportChannel.Unspecified)
    {
        var n = taxonomy.Count;
        if (image.Probabilities.Length != n || contextPrior.Multipliers.Count != n)
        {
            throw new ArgumentException("evidence vectors must have one entry per taxonomy label");
        }

        var explanation = new List<string>(image.Explanation);
        explanation.AddRange(contextPrior.Explanation);
        var declared = declaredCategory is { Length: > 0 } code ? taxonomy.Find(code) : null;
        var learnt = declared is null || reliability is null ? new Reliability(_options.DeclaredCategoryReliability, 0) : reliability.For(channel, declared.Code);
        var rho = learnt.Rho;
        var floor = _options.ImageFloor;

        var posterior = new double[n];
        for (var i = 0; i < n; i++)
        {
            // The floor keeps a label the image rules out within reach of strong other evidence.
            var p = ((1 - floor) * image.Probabilities[i]) + (floor / n);
            p *= contextPrior.Multipliers[i];
            if (declared is not null)
            {
                p *= i == declared.Index ? rho : (1 - rho) / (n - 1);
            }

            posterior[i] = p;
        }

        var sum = posterior.Sum();
        if (!(sum > 0) || !double.IsFinite(sum))
        {
            Array.Fill(posterior, 1.0 / n);
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                posterior[i] /= sum;
            }
        }

        if (declared is not null)
        {
            explanation.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"declared: '{declared.Code}', taken as right with probability {rho:0.00}{(learnt.Decisions > 0 ? $" (learnt from {learnt.Decisions} operator decisions on {channel.ToString().ToLowerInvariant()} declarations)" : "")}"));
        }

        return new Posterior(posterior, explanation);
    }
}

/// <summary>A normalised probability per taxonomy label and the reasons behind it.</summary>
public sealed record Posterior(double[] Probabilities, IReadOnlyList<string> Explanation);
