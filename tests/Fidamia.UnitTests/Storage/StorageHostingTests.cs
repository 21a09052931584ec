using Fidamia.Core.Storage;
using Fidamia.Storage;
using Fidamia.Storage.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Storage;

/// <summary>The provider switch: what <c>Storage:Provider=postgres</c> asks for, and what it gets.</summary>
public sealed class StorageHostingTests
{
    [Fact]
    public void Postgres_WithoutConnectionString_IsRefusedNamingTheKey()
    {
        using var host = Build(new() { ["Storage:Provider"] = "postgres" });

        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.StartsWith("Storage:ConnectionString is required when Storage:Provider is postgres", StringComparison.Ordinal));
    }

    [Fact]
    public void Postgres_ConnectionStringUnreadable_IsRefusedNamingTheKeyNotTheValue()
    {
        const string value = "data/secret-fidamia.db";
        using var host = Build(new() { ["Storage:Provider"] = "postgres", ["Storage:ConnectionString"] = value });

        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<StorageOptions>>().Value);

        var failure = Assert.Single(ex.Failures);
        Assert.StartsWith("Storage:ConnectionString is not a PostgreSQL connection string", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(value, failure, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Postgres_WithConnectionString_TheReportAndQueueStoresAreOnThatDatabase()
    {
        using var schema = new PostgresTestSchema();
        using (var host = Build(new() { ["Storage:Provider"] = "postgres", ["Storage:ConnectionString"] = schema.ConnectionString }))
        {
            var reports = Assert.IsType<PostgresReportStore>(host.Services.GetRequiredService<IReportStore>());
            var queues = Assert.IsType<PostgresQueueStore>(host.Services.GetRequiredService<IQueueStore>());

            Assert.Null(await reports.AddAsync(ReportStoreContractTests.Report("h-1"), ReportStoreContractTests.Decision(queue: "revue"), CancellationToken.None));
            var leased = await queues.LeaseAsync("revue", 10, TimeSpan.FromMinutes(1), CancellationToken.None);

            Assert.Equal("h-1", Assert.Single(leased).Report.Report.ReportId);
        }

        Assert.Equal(PostgresMigrations.Latest, schema.Scalar("SELECT MAX(version) FROM schema_migrations"));
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddFidamiaStorage();
        return builder.Build();
    }
}
