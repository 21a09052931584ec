using Fidamia.Core.Location;

namespace Fidamia.Core.Context;

/// <summary>How much likelier each label is at a place, as a multiplier per taxonomy label.</summary>
public interface IContextPrior
{
    IReadOnlyList<double> For(LocationContext context);
}

/// <summary>Every label equally likely everywhere.</summary>
public sealed class NeutralContextPrior(Taxonomy.Taxonomy taxonomy) : IContextPrior
{
    private readonly double[] _ones = Enumerable.Repeat(1.0, taxonomy.Count).ToArray();

    public IReadOnlyList<double> For(LocationContext context) => _ones;
}
