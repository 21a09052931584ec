using Fidamia.Protos.V1;
using Fidamia.Tests;
using Google.Protobuf;

namespace Fidamia.IntegrationTests;

/// <summary>A server seeded at start from an ImageFolder recognises other views of what it learnt, and persists what it learnt.</summary>
public sealed class LearningEndToEndTests : IAsyncLifetime
{
    private readonly string _seed = Directory.CreateTempSubdirectory("fidamia-seed-").FullName;

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
        await using var server = await ServerProcess.StartAsync(
            $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", $"--Prototypes:SeedPath={_seed}");

        var learnt = await server.Client.TriageAsync(Request(TestPhotos.View("graf1.png", 3), "graffiti"));
        var unrelated = await server.Client.TriageAsync(Request(TestPhotos.Shared("chelsea.png"), ""));

        Assert.Equal(TriageStatus.Routed, learnt.Status);
        Assert.Equal("graffiti", learnt.Label.Code);
        Assert.Equal("proprete.marseille-provence", learnt.Queue.Id);
        Assert.Contains(learnt.Explanation, e => e.StartsWith("image: closest to 'graffiti'", StringComparison.Ordinal));
        Assert.Equal(TriageStatus.NeedsReview, unrelated.Status);
        Assert.Contains(unrelated.Explanation, e => e.Contains("resembles no learnt label", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "prototypes", "resnet18.json")));
    }

    private static TriageRequest Request(byte[] photo, string declared) => new()
    {
        ReportId = Guid.NewGuid().ToString("N"),
        Photo = ByteString.CopyFrom(photo),
        Location = new GeoPoint { Lat = 43.2965, Lon = 5.3698 },
        DeclaredCategory = declared,
        Channel = Channel.Web,
    };
}
