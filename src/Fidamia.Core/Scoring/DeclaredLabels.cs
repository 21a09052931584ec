using Fidamia.Core.Diagnostics;
using Fidamia.Core.Fusion;
using Fidamia.Core.Reports;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scoring;

/// <summary>
/// Learns from citizens' declarations before any operator has worked: a stored report with a declared category adds its
/// photo's embedding to that label's memory as a weak example, weighing <see cref="PrototypeOptions.DeclaredWeight"/>
/// times how much better than chance such declarations are (their learnt reliability). Never from the model's own
/// label: that would only teach it its mistakes. The report's own fusion has already counted its declaration once;
/// its example serves the reports after it.
/// </summary>
public sealed class DeclaredLabels(
    IPrototypeStore store, DeclarationReliability reliability, Taxonomy.Taxonomy taxonomy, IOptions<PrototypeOptions> options,
    ILogger<DeclaredLabels> logger)
{
    /// <summary>The weight of a declaration of this reliability: 0 at chance (1 / labels), the configured maximum when certain.</summary>
    public double WeightFor(double rho)
    {
        var chance = 1.0 / taxonomy.Count;
        return options.Value.DeclaredWeight * Math.Clamp((rho - chance) / (1 - chance), 0, 1);
    }

    /// <param name="memory">The memory of the model version that embedded the photo; none for a classifier.</param>
    public async Task LearnAsync(
        string reportId, ReportChannel channel, string? declaredCategory, float[]? embedding, PrototypeMemory? memory, CancellationToken cancellationToken)
    {
        if (memory is null || embedding is null || declaredCategory is null || taxonomy.Find(declaredCategory) is not { } label)
        {
            return;
        }

        var weight = WeightFor(reliability.For(channel, label.Code).Rho);
        if (weight <= 0)
        {
            return;
        }

        var example = new PrototypeExample($"declared:{reportId}", label.Code, embedding) { Weight = weight, Declared = true, ReportId = reportId };
        try
        {
            await store.AddAsync([new StoredPrototype(memory.Model, example, "declared", weight, reportId)], cancellationToken);
        }
        catch (Exception ex) when (ex is StorageException or System.Data.Common.DbException)
        {
            // The report is stored and answered; a weak example lost is only a little less to learn from.
            Log.DeclaredExampleNotKept(logger, ex);
            return;
        }

        memory.Add([example]);
    }
}
