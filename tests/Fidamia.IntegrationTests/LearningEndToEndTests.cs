using Fidamia.Protos.V1;
using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>A server seeded at start from an ImageFolder recognises other views of what it learnt, and persists what it learnt.</summary>
public sealed class LearningEndToEndTests : IAsyncLifetime
{
    private readonly string _seed = Directory.CreateTempSubdirectory("fidamia-seed-").FullName;
    private readonly string _data = Directory.CreateTempSubdirectory("fidamia-data-").FullName;

    public Task InitializeAsync()
    {
        if (SharedData.IsAvailable)
        {
            Write("graffiti", "graf1.png");
            Write("vegetation", "grass.png");
            Write("trottoir", "brick.png");
        }

        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_seed, recursive: true);
        Directory.Delete(_data, recursive: true);
        return Task.CompletedTask;
    }

    private void Write(string label, string photo)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_seed, label)).FullName;
        for (var variant = 0; variant < 3; variant++)
        {
            File.WriteAllBytes(Path.Combine(directory, $"{variant}.png"), TestPhotos.View(photo, variant));
        }
    }

    [SharedDataFact]
    public async Task Triage_AnotherViewOfASeededScene_IsRoutedAndTheUnrelatedPhotoIsNot()
    {
        var communes = $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}";
        await using var server = await ServerProcess.StartAsync(communes, $"--DataDirectory={_data}", $"--Prototypes:SeedPath={_seed}");

        var learnt = await server.Client.TriageAsync(Requests.Report(TestPhotos.View("graf1.png", 3), declared: "graffiti"));
        var unrelated = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("chelsea.png"), declared: ""));

        Assert.Equal(TriageStatus.Routed, learnt.Status);
        Assert.Equal("graffiti", learnt.Label.Code);
        Assert.Equal("proprete-marseille-provence", learnt.Queue.Id);
        Assert.Contains(learnt.Explanation, e => e.StartsWith("image: closest to 'graffiti'", StringComparison.Ordinal));
        Assert.Equal(TriageStatus.NeedsReview, unrelated.Status);
        Assert.Contains(unrelated.Explanation, e => e.Contains("resembles no learnt label", StringComparison.Ordinal));
        // The memory is in the store, where every instance on the database reads it.
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_data, "fidamia.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM prototypes WHERE model = 'resnet18' AND source = 'seed'";
        Assert.Equal(9L, command.ExecuteScalar());
    }

    [SharedDataFact]
    public async Task Start_AfterSeeding_RemembersWhatItLearntWithoutTheSeedFolder()
    {
        var communes = $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}";
        await using (var seeding = await ServerProcess.StartAsync(communes, $"--DataDirectory={_data}", $"--Prototypes:SeedPath={_seed}"))
        {
            Assert.Contains("Seeded 9 new examples", seeding.Output, StringComparison.Ordinal);
        }

        await using var restarted = await ServerProcess.StartAsync(communes, $"--DataDirectory={_data}");
        var response = await restarted.Client.TriageAsync(Requests.Report(TestPhotos.View("grass.png", 3), declared: "vegetation"));

        Assert.Contains("9 examples", restarted.Output, StringComparison.Ordinal);
        Assert.Equal(TriageStatus.Routed, response.Status);
        Assert.Equal("vegetation", response.Label.Code);
    }
}
