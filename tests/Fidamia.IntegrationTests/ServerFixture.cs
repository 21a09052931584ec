using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>One server for the whole collection, on the real communes of the Métropole.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException(SharedData.SkipReason);

    public async Task InitializeAsync()
    {
        if (SharedData.IsAvailable)
        {
            // Tests sharing this server send the same photos to the same point, each expecting its own decision: with
            // duplicate detection on, what one test gets would depend on which ran before (DuplicateEndToEndTests has its own).
            _server = await ServerProcess.StartAsync($"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", "--Duplicates:Enabled=false");
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server on the real communes";
}
