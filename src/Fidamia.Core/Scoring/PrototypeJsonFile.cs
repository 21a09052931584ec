using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fidamia.Core.Scoring;

/// <summary>
/// The prototype memory as it was kept before it moved into the store: one JSON file per model under the data directory,
/// imported once at start (<see cref="PrototypeSync"/>). Written
/// atomically (temporary file, then rename) so a crash never leaves half a memory.
/// Keyed by model name: versions of one model (fp32, int8) share a feature space.
/// </summary>
public sealed class PrototypeJsonFile(string directory)
{
    public string PathFor(string modelName) => System.IO.Path.Combine(directory, $"{modelName}.json");

    public IReadOnlyList<PrototypeExample> Load(string modelName)
    {
        var path = PathFor(modelName);
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = File.OpenRead(path);
        var file = JsonSerializer.Deserialize(stream, PrototypeJsonContext.Default.PrototypeFile)
            ?? throw new InvalidDataException($"prototype memory '{path}' is empty");
        return file.Examples.Select(e => new PrototypeExample(e.Id, e.Label, e.Embedding)).ToList();
    }

    public void Save(string modelName, IReadOnlyList<PrototypeExample> examples)
    {
        Directory.CreateDirectory(directory);
        var path = PathFor(modelName);
        var temporary = path + ".tmp";
        var file = new PrototypeFile
        {
            Model = modelName,
            Examples = examples.Select(e => new PrototypeFile.Entry { Id = e.Id, Label = e.Label, Embedding = e.Embedding }).ToList(),
        };
        using (var stream = File.Create(temporary))
        {
            JsonSerializer.Serialize(stream, file, PrototypeJsonContext.Default.PrototypeFile);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

internal sealed class PrototypeFile
{
    public string Model { get; set; } = "";

    public List<Entry> Examples { get; set; } = [];

    internal sealed class Entry
    {
        public string Id { get; set; } = "";

        public string Label { get; set; } = "";

        public float[] Embedding { get; set; } = [];
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PrototypeFile))]
internal sealed partial class PrototypeJsonContext : JsonSerializerContext;
