using Fidamia.Core;
using Fidamia.Core.Storage;
using Fidamia.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fidamia.Storage;

public static class StorageHostingExtensions
{
    /// <summary>The report store (SQLite under <c>DataDirectory</c> by default) and the photo archive.</summary>
    public static IHostApplicationBuilder AddFidamiaStorage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorageOptions>()
            .Bind(builder.Configuration.GetSection(StorageOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.Provider != StorageProvider.Postgres, "Storage:Provider: postgres is not available in this version; use sqlite")
            .ValidateOnStart();
        services.AddOptions<QueueOptions>()
            .Bind(builder.Configuration.GetSection(QueueOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var data = sp.GetRequiredService<DataDirectory>();
            return SqliteReportStore.Open(SqlitePath(options.ConnectionString) ?? data.Combine("fidamia.db"));
        });
        services.AddSingleton<IReportStore>(sp => sp.GetRequiredService<SqliteReportStore>());
        services.AddSingleton<IQueueStore, SqliteQueueStore>();
        services.AddSingleton<QueueOperations>();
        services.AddSingleton<IPhotoArchive>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var root = string.IsNullOrEmpty(options.PhotosPath) ? sp.GetRequiredService<DataDirectory>().Combine("photos") : options.PhotosPath;
            return new FilePhotoArchive(root, sp.GetRequiredService<IPhotoMetadataStripper>());
        });
        return builder;
    }

    /// <summary>A file path as given, or the <c>Data Source</c> of a SQLite connection string.</summary>
    private static string? SqlitePath(string? connectionString) =>
        string.IsNullOrWhiteSpace(connectionString) ? null
        : connectionString.Contains('=', StringComparison.Ordinal) ? new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource
        : connectionString;
}
