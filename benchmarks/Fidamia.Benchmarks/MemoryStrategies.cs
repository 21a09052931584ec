using System.Diagnostics;
using System.Globalization;
using Fidamia.Core;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Scoring;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Storage;
using Fidamia.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fidamia.Benchmarks;

/// <summary>
/// <c>memory</c>: how a prototype memory should score as examples pile up, measured on the shared photos. Labels made of
/// two scenes each (what a label whose photos look like several things is), trained on 3 to 40 shots per scene, tested
/// on held-out shots and on unrelated photos (which the open-set rule must refuse): one centroid per label, several
/// prototypes per label (k-means), and the k nearest examples. Accuracy, not speed: a console report, not BenchmarkDotNet.
/// </summary>
internal static class MemoryStrategies
{
    private const double OpenSet = 0.7;
    private const int Test = 10;

    /// <summary>
    /// Labels whose photos look like several things: the ten shared photos as five labels of two scenes, then as two
    /// labels of five. The open-set rule applies: a held-out shot whose best cosine falls under it counts as missed.
    /// </summary>
    private static readonly (string Name, (string Label, string[] Scenes)[] Labels)[] Arrangements =
    [
        ("5 labels of 2 scenes", [
            ("A", ["brick.png", "chelsea.png"]), ("B", ["gravel.png", "coffee.png"]), ("C", ["grass.png", "box_in_scene.png"]),
            ("D", ["graf1.png", "licenseplate_motion.jpg"]), ("E", ["building.jpg", "leuvenA.jpg"])]),
        ("2 labels of 5 scenes", [
            ("A", ["brick.png", "chelsea.png", "grass.png", "graf1.png", "building.jpg"]),
            ("B", ["gravel.png", "coffee.png", "box_in_scene.png", "licenseplate_motion.jpg", "leuvenA.jpg"])]),
    ];

    public static async Task<int> RunAsync()
    {
        var data = Directory.CreateTempSubdirectory("fidamia-memory-").FullName;
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
            // fp32, so that the figures are the same on every host.
            builder.Configuration.AddInMemoryCollection([new("DataDirectory", data), new("Models:Precision", "fp32")]);
            builder.AddFidamiaCore();
            builder.AddFidamiaImaging();
            builder.AddFidamiaInference();
            builder.AddFidamiaStorage();
            using var host = builder.Build();
            await host.StartAsync();
            var runner = host.Services.GetRequiredService<PhotoModelRunner>();
            var taxonomy = host.Services.GetRequiredService<Fidamia.Core.Taxonomy.Taxonomy>();
            async Task<float[]> EmbedAsync(string photo, int seed) =>
                PrototypeMemory.Normalized((await runner.RunAsync(Shots.Of(Path.Combine(BenchmarkPhotos.SharedData, "photos", photo), seed), CancellationToken.None)).Output);

            var embeddings = new Dictionary<(string Scene, int Seed), float[]>();
            async Task<float[]> ShotAsync(string scene, int seed) =>
                embeddings.TryGetValue((scene, seed), out var known) ? known : embeddings[(scene, seed)] = await EmbedAsync(scene, seed);

            Console.WriteLine($"held-out shots: {Test} per scene; a best cosine under {OpenSet} (the open set) counts as missed");
            Console.WriteLine("arrangement           shots per scene  strategy                held-out right  us per photo");
            foreach (var (arrangement, labels) in Arrangements)
            {
                var train = new List<(string Label, float[] Embedding, int Seed)>();
                var test = new List<(string Label, float[] Embedding)>();
                foreach (var (label, scenes) in labels)
                {
                    foreach (var scene in scenes)
                    {
                        for (var seed = 1; seed <= 40; seed++)
                        {
                            train.Add((label, await ShotAsync(scene, seed), seed));
                        }

                        for (var seed = 0; seed < Test; seed++)
                        {
                            test.Add((label, await ShotAsync(scene, 9000 + seed)));
                        }
                    }
                }

                foreach (var perScene in new[] { 3, 10, 40 })
                {
                    var examples = train.Where(t => t.Seed <= perScene).Select(t => (t.Label, t.Embedding)).ToList();
                    foreach (var (name, classify) in Strategies(examples, taxonomy))
                    {
                        var started = Stopwatch.GetTimestamp();
                        var right = test.Count(t => classify(t.Embedding) is var (l, cosine) && l == t.Label && cosine >= OpenSet);
                        var perPhoto = Stopwatch.GetElapsedTime(started).TotalMicroseconds / test.Count;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{arrangement,-21} {perScene,15}  {name,-22} {right,6} of {test.Count,-5} {perPhoto,12:0}"));
                    }
                }
            }

            // What regrouping costs as a label grows: the shots of five scenes, each repeated with a little noise.
            var random = new Random(1);
            var shots = embeddings.Values.ToList();
            foreach (var size in new[] { 1_000, 5_000, 20_000 })
            {
                var memory = new PrototypeMemory(taxonomy, Microsoft.Extensions.Options.Options.Create(new PrototypeOptions()), shots[0].Length);
                memory.Add(Enumerable.Range(0, size).Select(i => new PrototypeExample(
                    $"e{i:000000}", taxonomy.Labels[0].Code, [.. shots[i % shots.Count].Select(v => v + (0.01f * ((float)random.NextDouble() - 0.5f)))])));
                var started = Stopwatch.GetTimestamp();
                memory.Consolidate();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"regrouping one label of {size} examples into {memory.Prototypes[taxonomy.Labels[0].Code].Count} prototypes: {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms"));
            }

            await host.StopAsync();
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>Each strategy: the label it gives and the raw cosine the open-set rule reads (below it, "unknown").</summary>
    private static IEnumerable<(string Name, Func<float[], (string Label, double Cosine)> Classify)> Strategies(
        List<(string Label, float[] Embedding)> examples, Fidamia.Core.Taxonomy.Taxonomy taxonomy)
    {
        var byLabel = examples.GroupBy(e => e.Label).ToDictionary(g => g.Key, g => g.Select(e => e.Embedding).ToList());
        var centroids = byLabel.ToDictionary(l => l.Key, l => new[] { Mean(l.Value) });
        yield return ("centroid", q => Nearest(q, centroids));
        var prototypes = byLabel.ToDictionary(l => l.Key, l => KMeans(l.Value, Math.Min(4, l.Value.Count)));
        yield return ("4 prototypes (k-means)", q => Nearest(q, prototypes));
        foreach (var perLabel in new[] { 1, 8 })
        {
            // The service's own memory, regrouped as an instance does in the background; letters stand for real label codes.
            var codes = byLabel.Keys.Order(StringComparer.Ordinal).Select((l, i) => (l, taxonomy.Labels[i].Code)).ToDictionary();
            var memory = new PrototypeMemory(
                taxonomy, Microsoft.Extensions.Options.Options.Create(new PrototypeOptions { OpenSetThreshold = OpenSet, PrototypesPerLabel = perLabel, MinExamples = 3 }),
                examples[0].Embedding.Length);
            memory.Add(examples.Select((e, i) => new PrototypeExample($"e{i:00000}", codes[e.Label], e.Embedding)));
            memory.Consolidate();
            var letters = codes.ToDictionary(c => c.Value, c => c.Key);
            yield return ($"service, {perLabel} per label", q =>
            {
                var evidence = memory.Score(q);
                var best = Array.IndexOf(evidence.Probabilities, evidence.Probabilities.Max());
                return (letters.GetValueOrDefault(taxonomy.Labels[best].Code, "?"), evidence.Informative ? 1 : -1);
            });
        }

        yield return ("5 nearest examples", q =>
        {
            var nearest = examples.Select(e => (e.Label, Cosine: (double)VectorMath.Dot(q, e.Embedding))).OrderByDescending(e => e.Cosine).Take(5).ToList();
            var label = nearest.GroupBy(n => n.Label).OrderByDescending(g => g.Sum(n => n.Cosine)).First().Key;
            return (label, nearest[0].Cosine);
        });
    }

    private static (string Label, double Cosine) Nearest(float[] query, Dictionary<string, float[][]> prototypes) =>
        prototypes.SelectMany(p => p.Value.Select(v => (p.Key, Cosine: (double)VectorMath.Dot(query, v)))).MaxBy(p => p.Cosine);

    private static float[] Mean(List<float[]> vectors)
    {
        var sum = new float[vectors[0].Length];
        foreach (var v in vectors)
        {
            VectorMath.AddInPlace(sum, v);
        }

        return PrototypeMemory.Normalized(sum);
    }

    /// <summary>Spherical k-means, seeded by farthest-point picks so the result does not depend on luck.</summary>
    private static float[][] KMeans(List<float[]> vectors, int k)
    {
        var centres = new List<float[]> { vectors[0] };
        while (centres.Count < k)
        {
            centres.Add(vectors.MinBy(v => centres.Max(c => VectorMath.Dot(v, c)))!);
        }

        for (var iteration = 0; iteration < 20; iteration++)
        {
            var groups = vectors.GroupBy(v => Enumerable.Range(0, centres.Count).MaxBy(i => VectorMath.Dot(v, centres[i]))).ToList();
            centres = groups.Select(g => Mean(g.ToList())).ToList();
        }

        return [.. centres];
    }
}
