using System.Collections.Concurrent;
using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using Fidamia.Gis;
using Fidamia.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Gis;

public sealed class GisHostingTests
{
    [Fact]
    public async Task AddFidamiaGis_NoPathConfigured_LocatorIsTheDemoSet()
    {
        var logs = new ListLoggerProvider();
        using var host = Build(path: null, logs);
        await host.StartAsync();

        var gis = host.Services.GetRequiredService<GisLocator>();
        var locator = host.Services.GetRequiredService<ILocator>();
        var context = locator.Locate(new GeoPoint(43.2965, 5.3698));

        Assert.Same(gis, locator);
        Assert.Equal(["communes", "demo-zones", "demo-roads"], gis.Current.Layers.Select(l => l.Name));
        Assert.All(gis.Current.Layers, l => Assert.True(l.IsDemo));
        Assert.Equal(Path.GetFullPath(GisOptions.DemoCommunesPath), gis.Current.Communes.Source);
        Assert.Equal("Marseille Provence", context?.Territory);
        var loaded = Assert.Single(logs.Messages, m => m.Contains("GIS layer communes (commune) loaded", StringComparison.Ordinal));
        Assert.Contains(gis.Current.Communes.Source, loaded, StringComparison.Ordinal);
        Assert.Contains("EPSG:4326", loaded, StringComparison.Ordinal);
        Assert.Contains("6 features", loaded, StringComparison.Ordinal);
        Assert.Contains("demo", loaded, StringComparison.Ordinal);
        Assert.Equal(3, logs.Messages.Count(m => m.Contains(" loaded from ", StringComparison.Ordinal)));
        Assert.Contains(logs.Messages, m => m.Contains("NOT for production", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("43.29", StringComparison.Ordinal) || m.Contains("5.369", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task AddFidamiaGis_DemoSet_LocatesDemoZonesAndRoads()
    {
        using var host = Build(path: null, new ListLoggerProvider());
        await host.StartAsync();
        var locator = host.Services.GetRequiredService<ILocator>();

        var park = locator.Locate(new GeoPoint(43.2611, 5.3801));
        var school = locator.Locate(new GeoPoint(43.2955, 5.3810));

        Assert.Contains(new ZoneRef("demo-zones", "parc-borely", "park", "Parc Borély"), park!.Zones);
        Assert.Equal("prado", park.Road?.Id);
        Assert.Equal("metropole", park.Road?.Owner);
        Assert.Contains("demo-zones: park 'parc-borely' Parc Borély", park.Matches);
        Assert.Equal("school", Assert.Single(school!.Zones).Type);
        Assert.Equal("commune", school.Road?.Owner);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddFidamiaGis_ConfiguredPathMissing_StartFailsNamingKeyAndPath()
    {
        var missing = Path.Combine(Path.GetTempPath(), "fidamia-no-such-layer-" + Guid.NewGuid().ToString("N") + ".geojson");
        using var host = Build(missing, new ListLoggerProvider());

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Gis:Communes:Path", ex.Message, StringComparison.Ordinal);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public async Task AddFidamiaGis_RealLayerConfigured_LocatesInTheRealLayer()
    {
        var path = SharedData.Gis("amp-communes.geojson");
        var logs = new ListLoggerProvider();
        using var host = Build(path, logs);
        await host.StartAsync();

        var gis = host.Services.GetRequiredService<GisLocator>();
        var context = host.Services.GetRequiredService<ILocator>().Locate(new GeoPoint(43.6942, 5.5019));

        Assert.False(gis.Current.Communes.IsDemo);
        Assert.Equal(92, gis.Current.Communes.Count);
        Assert.Equal("84089", context?.Commune.Insee);
        // The shorthand replaces only the demo communes: the demo zones and roads still load, and say so.
        Assert.Contains(logs.Messages, m => m.Contains("NOT for production", StringComparison.Ordinal) && m.Contains("demo-zones", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("NOT for production", StringComparison.Ordinal) && m.Contains("communes,", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [SharedDataFact]
    public async Task AddFidamiaGis_LayersFromCommandLine_AddsTheArrondissementLayer()
    {
        var arguments = new[]
        {
            "--Gis:Layers:0:Name=arr", "--Gis:Layers:0:Role=arrondissement", "--Gis:Layers:0:Path=" + SharedData.Gis("marseille-arrondissements.geojson"),
            "--Gis:Communes:Path=" + SharedData.Gis("amp-communes.geojson"),
        };
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddCommandLine(arguments);
        builder.AddFidamiaGis();
        using var host = builder.Build();
        await host.StartAsync();

        var gis = host.Services.GetRequiredService<GisLocator>();
        var context = gis.Locate(new GeoPoint(43.2590, 5.3800));

        Assert.Equal(["arr", "communes"], gis.Current.Layers.Select(l => l.Name));
        Assert.Equal("13208", context?.Arrondissement?.Insee);
        Assert.Contains(context!.Matches, m => m.StartsWith("arr: 13208 ", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void ResolveCommunesPath_NothingConfigured_IsTheDemoLayer(string? configured)
    {
        var options = new GisOptions { Communes = { Path = configured } };

        Assert.Equal(GisOptions.DemoCommunesPath, options.ResolveCommunesPath());
        Assert.EndsWith(Path.Combine("gis", "demo-communes.geojson"), options.ResolveCommunesPath(), StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveCommunesPath_RelativePath_IsMadeFull()
    {
        var options = new GisOptions { Communes = { Path = Path.Combine("layers", "communes.geojson") } };

        Assert.Equal(Path.GetFullPath(Path.Combine("layers", "communes.geojson")), options.ResolveCommunesPath());
    }

    private static IHost Build(string? path, ListLoggerProvider logs)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (path is not null)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Gis:Communes:Path"] = path });
        }

        builder.Logging.AddProvider(logs);
        builder.AddFidamiaGis();
        var host = builder.Build();
        return host;
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyCollection<string> Messages => _messages;

        public ILogger CreateLogger(string categoryName) => new ListLogger(_messages);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}
