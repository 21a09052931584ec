using Fidamia.Core;
using Fidamia.Core.Storage;
using Fidamia.Storage.Postgres;
using Fidamia.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fidamia.Storage;

public static class StorageHostingExtensions
{
    /// <summary>
    /// The report and queue stores (SQLite under <c>DataDirectory</c> by default, or PostgreSQL shared by several
    /// instances) and the photo archive.
    /// </summary>
    public static IHostApplicationBuilder AddFidamiaStorage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorageOptions>()
            .Bind(builder.Configuration.GetSection(StorageOptions.SectionName))
            .ValidateDataAnnotations()
            // The messages name the key, never its value: a PostgreSQL connection string holds a password.
            .Validate(
                o => o.Provider != StorageProvider.Postgres || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "Storage:ConnectionString is required when Storage:Provider is postgres (Host=...;Port=...;Database=...;Username=...;Password=...)")
            .Validate(
                o => o.Provider != StorageProvider.Postgres || string.IsNullOrWhiteSpace(o.ConnectionString) || PostgresDatabase.IsConnectionString(o.ConnectionString),
                "Storage:ConnectionString is not a PostgreSQL connection string (Host=...;Port=...;Database=...;Username=...;Password=...)")
            .ValidateOnStart();
        services.AddOptions<QueueOptions>()
            .Bind(builder.Configuration.GetSection(QueueOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var data = sp.GetRequiredService<DataDirectory>();
            return SqliteReportStore.Open(SqlitePath(options.ConnectionString) ?? data.Combine("fidamia.db"), options.Durability);
        });
        services.AddSingleton<SqliteQueueStore>();
        // One database, so one pool, for both stores; disposed with the container.
        services.AddSingleton(sp => PostgresDatabase.Open(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString!));
        services.AddSingleton<PostgresReportStore>();
        services.AddSingleton<PostgresQueueStore>();
        // Only the chosen provider's stores are ever made: a SQLite service never connects to a server, nor the reverse.
        services.AddSingleton<IReportStore>(sp => IsPostgres(sp) ? sp.GetRequiredService<PostgresReportStore>() : sp.GetRequiredService<SqliteReportStore>());
        services.AddSingleton<IQueueStore>(sp => IsPostgres(sp) ? sp.GetRequiredService<PostgresQueueStore>() : sp.GetRequiredService<SqliteQueueStore>());
        services.AddSingleton<SqliteReviewStore>();
        services.AddSingleton<SqlitePrototypeStore>();
        services.AddSingleton<PostgresReviewStore>();
        services.AddSingleton<PostgresPrototypeStore>();
        services.AddSingleton<IReviewStore>(sp => IsPostgres(sp) ? sp.GetRequiredService<PostgresReviewStore>() : sp.GetRequiredService<SqliteReviewStore>());
        services.AddSingleton<IPrototypeStore>(sp => IsPostgres(sp) ? sp.GetRequiredService<PostgresPrototypeStore>() : sp.GetRequiredService<SqlitePrototypeStore>());
        services.AddSingleton<QueueOperations>();
        services.AddSingleton<IPhotoArchive>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var root = string.IsNullOrEmpty(options.PhotosPath) ? sp.GetRequiredService<DataDirectory>().Combine("photos") : options.PhotosPath;
            return new FilePhotoArchive(
                root, sp.GetRequiredService<IPhotoMetadataStripper>(), sp.GetRequiredService<TimeProvider>(), options.Durability == StorageDurability.PowerLoss);
        });
        services.AddSingleton<PhotoRetention>();
        services.AddHostedService<PhotoRetentionService>();
        return builder;
    }

    private static bool IsPostgres(IServiceProvider services) =>
        services.GetRequiredService<IOptions<StorageOptions>>().Value.Provider == StorageProvider.Postgres;

    /// <summary>A file path as given, or the <c>Data Source</c> of a SQLite connection string.</summary>
    private static string? SqlitePath(string? connectionString) =>
        string.IsNullOrWhiteSpace(connectionString) ? null
        : connectionString.Contains('=', StringComparison.Ordinal) ? new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource
        : connectionString;
}
