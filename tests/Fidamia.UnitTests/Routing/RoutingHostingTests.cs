using Fidamia.Core.Routing;
using Fidamia.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Fidamia.UnitTests.Routing.RoutingTestData;

namespace Fidamia.UnitTests.Routing;

public class RoutingHostingTests
{
    private const string Rules = """
        default: revue
        queues:
          - { id: revue, service: accueil }
        """;

    private static HostApplicationBuilder Builder(string? rulesPath)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [RoutingOptions.RulesPathKey] = rulesPath,
            ["Routing:ReloadDebounceMs"] = "50",
        });
        builder.Services.AddLogging();
        builder.Services.AddSingleton(RoutingTestData.Taxonomy);
        return builder;
    }

    [Fact]
    public void AddFidamiaRouting_AfterCoreDefault_ReplacesIt()
    {
        using var file = new TempRulesFile(Rules);
        var builder = Builder(file.Path);
        builder.Services.TryAddSingleton<IQueueRouter, FamilyTerritoryRouter>();

        builder.AddFidamiaRouting();
        using var host = builder.Build();

        Assert.IsType<RulesRouter>(host.Services.GetRequiredService<IQueueRouter>());
        Assert.Single(host.Services.GetServices<IQueueRouter>());
    }

    [Fact]
    public void AddFidamiaRouting_BeforeCoreDefault_StillWins()
    {
        using var file = new TempRulesFile(Rules);
        var builder = Builder(file.Path);

        builder.AddFidamiaRouting();
        builder.Services.TryAddSingleton<IQueueRouter, FamilyTerritoryRouter>();
        using var host = builder.Build();

        Assert.Same(host.Services.GetRequiredService<RulesRouter>(), host.Services.GetRequiredService<IQueueRouter>());
    }

    [Fact]
    public void AddFidamiaRouting_NoPathConfigured_UsesTheShippedRules()
    {
        var builder = Builder(null);

        builder.AddFidamiaRouting();
        using var host = builder.Build();

        Assert.Equal(RoutingOptions.ShippedRulesPath, host.Services.GetRequiredService<RulesRouter>().RulesPath);
    }

    [Fact]
    public async Task StartAsync_InvalidRules_StopsStartUpNamingTheRule()
    {
        using var file = new TempRulesFile(Rules + "\nrules:\n  - when: { family: voiries }\n    then: revue\n");
        var builder = Builder(file.Path);
        builder.AddFidamiaRouting();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<RoutingRulesException>(() => host.StartAsync());

        Assert.StartsWith("rule #1 (line 5): unknown family 'voiries'", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_MissingFile_StopsStartUpNamingTheKey()
    {
        var builder = Builder(Path.Combine(Path.GetTempPath(), "fidamia-no-such-" + Guid.NewGuid().ToString("N") + ".yaml"));
        builder.AddFidamiaRouting();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Routing:RulesPath: no file at", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ValidRules_WatchesTheFileUntilStopped()
    {
        using var file = new TempRulesFile(Rules);
        var builder = Builder(file.Path);
        builder.AddFidamiaRouting();
        using var host = builder.Build();
        var router = host.Services.GetRequiredService<RulesRouter>();
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        router.Reloaded += result =>
        {
            if (result.Succeeded)
            {
                reloaded.TrySetResult();
            }
        };

        await host.StartAsync();
        file.Write(Rules.Replace("service: accueil }", "service: accueil, name: Revue manuelle }", StringComparison.Ordinal));
        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();

        Assert.Equal("Revue manuelle", router.Route(Request("autre", Aix)).Queue.Name);
    }
}
