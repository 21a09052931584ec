using Fidamia.Gis.Sources;

namespace Fidamia.Benchmarks;

/// <summary>Features made in memory (the generated zones and roads), handed to <c>GisLayer.Load</c> like a file's.</summary>
internal sealed class InMemoryFeatureSource(string description, IReadOnlyList<SourceFeature> features) : IFeatureSource
{
    public string Description { get; } = description;

    public IReadOnlyList<SourceFeature> ReadAll(CancellationToken cancellationToken) => features;
}
