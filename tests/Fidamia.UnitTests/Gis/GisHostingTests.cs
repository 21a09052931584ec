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
    public async Task AddFidamiaGis_NoPathConfigured_LocatorIsTheDemoLayer()
    {
        var logs = new ListLoggerProvider();
        using var host = Build(path: null, logs);
        await host.StartAsync();

        var layer = host.Services.GetRequiredService<CommuneLayer>();
        var locator = host.Services.GetRequiredService<ILocator>();
        var context = locator.Locate(new GeoPoint(43.2965, 5.3698));

        Assert.Same(layer, locator);
        Assert.True(layer.IsDemo);
        Assert.Equal(Path.GetFullPath(GisOptions.DemoCommunesPath), layer.SourcePath);
        Assert.Equal("Marseille Provence", context?.Territory);
        var loaded = Assert.Single(logs.Messages, m => m.Contains("loaded", StringComparison.Ordinal));
        Assert.Contains(layer.SourcePath, loaded, StringComparison.Ordinal);
        Assert.Contains("6 features", loaded, StringComparison.Ordinal);
        Assert.Contains("demo", loaded, StringComparison.Ordinal);
        Assert.Contains(logs.Messages, m => m.Contains("NOT for production", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("43.29", StringComparison.Ordinal) || m.Contains("5.369", StringComparison.Ordinal));
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

        var layer = host.Services.GetRequiredService<CommuneLayer>();
        var context = host.Services.GetRequiredService<ILocator>().Locate(new GeoPoint(43.6942, 5.5019));

        Assert.False(layer.IsDemo);
        Assert.Equal(92, layer.Count);
        Assert.Equal("84089", context?.Commune.Insee);
        Assert.DoesNotContain(logs.Messages, m => m.Contains("NOT for production", StringComparison.Ordinal));
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
