using Microsoft.Extensions.Logging;

namespace Fidamia.Core.Diagnostics;

/// <summary>
/// The pipeline's log messages. Never log coordinates, descriptions or photos: they are
/// personal data; the report id is the caller's own reference and is enough to trace.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Report {ReportId} triaged: {Status} as {Label} ({Confidence:0.000}) to queue {Queue} in {ElapsedMs:0.0} ms")]
    public static partial void Triaged(ILogger logger, string reportId, string status, string label, double confidence, string queue, double elapsedMs);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Report {ReportId} refused: {Fields}")]
    public static partial void Refused(ILogger logger, string reportId, string fields);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Report {ReportId} answered from an earlier decision")]
    public static partial void Replayed(ILogger logger, string reportId);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Prototype memory of model {Model}: {Examples} examples, {Labels} labels")]
    public static partial void PrototypesLoaded(ILogger logger, string model, int examples, int labels);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Seeded {Added} new examples from {Path} ({Skipped} already known)")]
    public static partial void PrototypesSeeded(ILogger logger, int added, string path, int skipped);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Seed photo {File} skipped: {Reason}")]
    public static partial void SeedPhotoSkipped(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information,
        Message = "Inference scheduler: {Runs} concurrent runs, batches of up to {MaxBatch}, queue delay {DelayMicroseconds} µs")]
    public static partial void SchedulerStarted(ILogger logger, int runs, int maxBatch, int delayMicroseconds);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Error, Message = "A batch of {Size} requests failed")]
    public static partial void BatchFailed(ILogger logger, int size, Exception exception);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Report {ReportId} refused: the service is at capacity (retry after {RetryAfterMs} ms)")]
    public static partial void AtCapacity(ILogger logger, string reportId, double retryAfterMs);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information, Message = "Retention deleted {Photos} photos of reports older than {Days} days; their reports and decisions stay")]
    public static partial void PhotosDeleted(ILogger logger, int photos, double days);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Reading the prototype memory's new examples failed; trying again at the next interval")]
    public static partial void PrototypeSyncFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "Learning the reliability of declarations from operators' decisions failed; trying again at the next interval")]
    public static partial void ReliabilityRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "A report's declared category could not be kept as an example; the report itself is stored")]
    public static partial void DeclaredExampleNotKept(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Information, Message = "Model {Name} version {Version} in shadow on {SampleRate:0.###} of the reports")]
    public static partial void ShadowStarted(ILogger logger, string name, string version, double sampleRate);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information, Message = "Model {Name} version {Version} out of shadow")]
    public static partial void ShadowStopped(ILogger logger, string name, string version);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Warning, Message = "Model {Name} version {Version} failed on a shadow sample; the live answer was not affected")]
    public static partial void ShadowSampleFailed(ILogger logger, string name, string version, Exception exception);
}
