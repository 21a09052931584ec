using Fidamia.Tests;

namespace Fidamia.Benchmarks;

/// <summary>
/// Labelled shots of the shared photos, as the model tools read them (<c>DIR/&lt;label code&gt;/*.jpg</c>): six scenes
/// standing for six labels, as in the learning tests, with training shots and other, held-out shots for testing.
/// </summary>
internal static class ShotFolders
{
    private const int TrainPerScene = 8;
    private const int TestPerScene = 4;

    private static readonly (string Photo, string Label)[] Scenes =
    [
        ("graf1.png", "graffiti"), ("leuvenA.jpg", "nid_de_poule"), ("building.jpg", "mobilier"),
        ("brick.png", "trottoir"), ("grass.png", "vegetation"), ("gravel.png", "depot_sauvage"),
    ];

    public static (int Train, int Test) Write(string root)
    {
        foreach (var (photo, label) in Scenes)
        {
            var path = Path.Combine(BenchmarkPhotos.SharedData, "photos", photo);
            var scene = Path.GetFileNameWithoutExtension(photo);
            var train = Directory.CreateDirectory(Path.Combine(root, "train", label)).FullName;
            var test = Directory.CreateDirectory(Path.Combine(root, "test", label)).FullName;
            for (var seed = 1; seed <= TrainPerScene; seed++)
            {
                File.WriteAllBytes(Path.Combine(train, $"{scene}-{seed}.jpg"), Shots.Of(path, seed));
            }

            for (var seed = 0; seed < TestPerScene; seed++)
            {
                File.WriteAllBytes(Path.Combine(test, $"{scene}-{9000 + seed}.jpg"), Shots.Of(path, 9000 + seed));
            }
        }

        return (Scenes.Length * TrainPerScene, Scenes.Length * TestPerScene);
    }
}
