using Fidamia.Core.Scoring;
using Fidamia.Inference;
using Fidamia.UnitTests.Core;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Inference;

public class ActivationPolicyTests
{
    private static PrototypeMemory Memory(string model, int examples)
    {
        var memory = new PrototypeMemory(TestTaxonomy.Small(), Options.Create(new PrototypeOptions()), 3, model);
        memory.Add(Enumerable.Range(0, examples).Select(i => new PrototypeExample($"e{i}", "graffiti", [1, i, 0])));
        return memory;
    }

    [Fact]
    public void Check_ReadyVersions_AreNotRefused()
    {
        var live = Memory("resnet18", 5);

        Assert.Null(ActivationPolicy.Check(null, null, live, live)); // another version of the same model: the same memory
        Assert.Null(ActivationPolicy.Check(null, new ReembeddingProgress("resnet18") { Total = 5, Finished = true }, Memory("other", 5), live));
        Assert.Null(ActivationPolicy.Check(new DerivedChecks(0, 40, 8, 0.995, 0.99), null, live, live));
        Assert.Null(ActivationPolicy.Check(null, null, null, live)); // a classifier needs no memory
        Assert.Null(ActivationPolicy.Check(null, null, Memory("other", 0), Memory("resnet18", 0))); // nothing learnt anywhere
    }

    [Fact]
    public void Check_FailedQuantizerChecks_Refused()
    {
        var refusal = ActivationPolicy.Check(new DerivedChecks(2, 40, 8, 0.995, 0.99), null, null, null);

        Assert.Equal("CHECKS", refusal!.Type);
        Assert.Contains("2 Conv left in fp32", refusal.Reason, StringComparison.Ordinal);
        Assert.Equal("CHECKS", ActivationPolicy.Check(new DerivedChecks(0, 40, 8, 0.95, 0.99), null, null, null)!.Type);
    }

    [Fact]
    public void Check_ReembeddingUnderWay_RefusedWithItsProgress()
    {
        var progress = new ReembeddingProgress("resnet18") { Total = 12 };
        progress.Counted(5, 1, 0);

        var refusal = ActivationPolicy.Check(null, progress, Memory("other", 5), Memory("resnet18", 12));

        Assert.Equal("REEMBEDDING", refusal!.Type);
        Assert.Contains("(6 of 12)", refusal.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_EmptyMemoryWhereTheLiveOneLearnt_RefusedAsCold()
    {
        var refusal = ActivationPolicy.Check(null, new ReembeddingProgress("resnet18") { Finished = true }, Memory("other", 0), Memory("resnet18", 3));

        Assert.Equal("COLD_MEMORY", refusal!.Type);
        Assert.Contains("resnet18's memory holds 3 examples", refusal.Reason, StringComparison.Ordinal);
    }
}
