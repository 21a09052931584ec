using System.Collections.Concurrent;
using Fidamia.Core.Geo;
using Fidamia.Gis;
using Microsoft.Extensions.Logging;
using static Fidamia.UnitTests.Gis.GisTestLayers;

namespace Fidamia.UnitTests.Gis;

/// <summary>Reloading a changed layer: a good file is swapped in whole, a broken one keeps the old layer.</summary>
public sealed class GisReloadTests : IDisposable
{
    private static readonly GeoPoint Inside = new(43.30, 5.40);

    private readonly GisTestLayers _layers = new();

    public void Dispose() => _layers.Dispose();

    [Fact]
    public void TryReload_RewrittenFile_GivesTheNewAnswer()
    {
        var (locator, communes, _) = Create();
        var before = locator.Current;

        WriteCommunes(communes, "13002", "Allauch");
        var result = locator.TryReload("communes");

        Assert.True(result.Succeeded);
        Assert.Equal(1, locator.Reloads);
        Assert.Equal("13002", locator.Locate(Inside)?.Commune.Insee);
        Assert.Equal("13055", before.Locate(Inside)?.Commune.Insee); // an old snapshot is never changed
        Assert.Same(before["zones"], locator.Current["zones"]); // the other layers are shared, not reloaded
    }

    [Fact]
    public void TryReload_BrokenFile_KeepsTheOldLayerAndLogsWhy()
    {
        var (locator, communes, logs) = Create();

        File.WriteAllText(communes, "{ \"type\": \"FeatureCollection\", \"features\": [ ");
        var result = locator.TryReload("communes");

        Assert.False(result.Succeeded);
        Assert.Contains("not valid GeoJSON", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, locator.Reloads);
        Assert.Equal("13055", locator.Locate(Inside)?.Commune.Insee);
        Assert.Contains(logs.Messages, m => m.Contains("communes was not reloaded", StringComparison.Ordinal) && m.Contains("not valid GeoJSON", StringComparison.Ordinal));
    }

    [Fact]
    public void TryReload_MissingProperty_KeepsTheOldLayer()
    {
        var (locator, communes, _) = Create();

        _layers.WriteCollection(Path.GetFileName(communes), [Feature("13002", null, "Marseille Provence", Rectangle(5.30, 43.25, 5.45, 43.35))]);
        var result = locator.TryReload("communes");

        Assert.False(result.Succeeded);
        Assert.Contains("\"nom\"", result.Error, StringComparison.Ordinal);
        Assert.Equal("13055", locator.Locate(Inside)?.Commune.Insee);
    }

    [Fact]
    public void TryReload_UnknownLayer_Throws()
    {
        var (locator, _, _) = Create();

        Assert.Throws<ArgumentException>(() => locator.TryReload("nope"));
    }

    [Fact]
    public async Task StartWatching_FileRewritten_ReloadsOnItsOwn()
    {
        var (locator, communes, _) = Create();
        var reloaded = new TaskCompletionSource<LayerReload>(TaskCreationOptions.RunContinuationsAsynchronously);
        locator.Reloaded += (_, e) => reloaded.TrySetResult(e);
        locator.StartWatching();

        WriteCommunes(communes, "13002", "Allauch");
        var result = await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("communes", result.Layer);
        Assert.Equal("13002", locator.Locate(Inside)?.Commune.Insee);
        locator.Dispose();
    }

    [Fact]
    public async Task Locate_WhileReloading_AlwaysSeesAWholeLayer()
    {
        var (locator, communes, _) = Create();
        using var stop = new CancellationTokenSource();
        var seen = new ConcurrentDictionary<string, int>();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                seen.AddOrUpdate(locator.Locate(Inside)?.Commune.Insee ?? "null", 1, (_, n) => n + 1);
            }
        })).ToArray();

        for (var i = 0; i < 20; i++)
        {
            WriteCommunes(communes, i % 2 == 0 ? "13002" : "13055", i % 2 == 0 ? "Allauch" : "Marseille");
            Assert.True(locator.TryReload("communes").Succeeded);
        }

        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.Equal(20, locator.Reloads);
        Assert.Subset(new HashSet<string> { "13002", "13055" }, seen.Keys.ToHashSet());
    }

    private (GisLocator Locator, string Communes, ListLogger Logs) Create()
    {
        var communes = Path.Combine(_layers.Root, "communes.geojson");
        WriteCommunes(communes, "13055", "Marseille");
        var zones = _layers.WriteCollection("zones.geojson",
            [FeatureWith(Rectangle(5.39, 43.29, 5.41, 43.31), ("id", "z1"), ("type", "park"), ("name", "Parc"))]);
        var options = new GisOptions
        {
            Layers =
            [
                new LayerOptions { Name = "communes", Role = "commune", Path = communes },
                new LayerOptions { Name = "zones", Role = "zone", Path = zones },
            ],
        };
        var logs = new ListLogger();
        return (new GisLocator(options, logs, TimeSpan.FromMilliseconds(50)), communes, logs);
    }

    private void WriteCommunes(string path, string insee, string name) =>
        _layers.WriteCollection(Path.GetFileName(path), [Feature(insee, name, "Marseille Provence", Rectangle(5.30, 43.25, 5.45, 43.35))]);

    internal sealed class ListLogger : ILogger<GisLocator>
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyCollection<string> Messages => _messages;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _messages.Enqueue(formatter(state, exception));
    }
}
