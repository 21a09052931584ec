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

/// <summary>What an answered report survives, on SQLite and in the photo archive (PostgreSQL follows its server's settings).</summary>
public enum StorageDurability
{
    /// <summary>
    /// The service's crash, kill or restart: every answered report is there after it. A power cut or an operating system
    /// crash may lose the last moments of reports (SQLite WAL with <c>synchronous=NORMAL</c>, photos not flushed); the
    /// database stays consistent, and the back-office can send those again.
    /// </summary>
    Process,

    /// <summary>Also a power cut: each report and its photo are flushed to disk before the answer (an fsync each).</summary>
    PowerLoss,
}

/// <summary>Where reports, decisions, queues and photos are kept (section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Sqlite (one file under <c>DataDirectory</c>, one instance) or Postgres (one database, several instances).</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>
    /// The database: for SQLite a file path or a connection string (default <c>DataDirectory/fidamia.db</c>); for
    /// PostgreSQL an Npgsql connection string, required.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>What an answered report survives on SQLite and in the photo archive: Process (a crash or kill) or PowerLoss (also a power cut: an fsync per report and photo).</summary>
    public StorageDurability Durability { get; set; } = StorageDurability.Process;

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
