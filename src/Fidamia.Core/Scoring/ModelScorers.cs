using System.Collections.Concurrent;
using Fidamia.Core.Models;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scoring;

/// <summary>
/// The scorer of each model's feature space: one prototype memory per embedding model name (its versions, fp32 or int8,
/// share a feature space, and so a memory), a classifier's own head per version.
/// </summary>
public sealed class ModelScorers(Taxonomy.Taxonomy taxonomy, IOptions<PrototypeOptions> options)
{
    private readonly ConcurrentDictionary<string, PrototypeMemory> _memories = new(StringComparer.Ordinal);

    /// <summary>Every prototype memory made so far.</summary>
    public IReadOnlyCollection<PrototypeMemory> Memories => [.. _memories.Values];

    /// <exception cref="InvalidOperationException">An embedding model whose output length is not that of its name's memory.</exception>
    public IImageScorer For(ModelDescriptor model) =>
        model.Kind == ModelKind.Classifier ? new ClassifierScorer(taxonomy, model) : MemoryFor(model);

    /// <inheritdoc cref="For"/>
    public PrototypeMemory MemoryFor(ModelDescriptor model)
    {
        var memory = _memories.GetOrAdd(model.Name, _ => new PrototypeMemory(taxonomy, options, model.OutputLength, model.Name));
        return memory.Dimension == model.OutputLength
            ? memory
            : throw new InvalidOperationException(
                $"{model.Name} {model.Version} gives {model.OutputLength} values where the other versions of '{model.Name}' give {memory.Dimension}: a different feature space needs a name of its own");
    }

    /// <summary>The memory of an embedding model name, if one was made.</summary>
    public PrototypeMemory? Memory(string model) => _memories.GetValueOrDefault(model);
}
