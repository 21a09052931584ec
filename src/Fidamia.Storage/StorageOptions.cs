using System.ComponentModel.DataAnnotations;

namespace Fidamia.Storage;

/// <summary>Which database keeps the reports.</summary>
public enum StorageProvider
{
    /// <summary>One file under <c>DataDirectory</c>: the embedded default, for one instance.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database shared by several instances (<see cref="StorageOptions.ConnectionString"/> required).</summary>
    Postgres,
}

public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>
    /// The database: for SQLite a file path or a connection string (default <c>DataDirectory/fidamia.db</c>); for
    /// PostgreSQL an Npgsql connection string, required.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Where photos are kept (default <c>DataDirectory/photos</c>).</summary>
    public string? PhotosPath { get; set; }

    /// <summary>
    /// Photos are deleted this many days after the newest report that sent them; the reports and their decisions stay.
    /// Unset: photos are kept.
    /// </summary>
    [Range(1, 36_500)]
    public int? PhotoRetentionDays { get; set; }

    /// <summary>How often retention looks for photos past their time (it also runs at start).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan PhotoRetentionSweepInterval { get; set; } = TimeSpan.FromHours(1);
}
