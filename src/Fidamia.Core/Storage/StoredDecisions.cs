using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;

namespace Fidamia.Core.Storage;

/// <summary>Between the pipeline's decision and its stored form, both ways.</summary>
public static class StoredDecisions
{
    public static ReportRecord ToRecord(TriageReport report, TriageDecision decision, byte[] fingerprint, string photoSha256, DateTimeOffset receivedAt)
    {
        var location = report.Location!.Value;
        return new ReportRecord
        {
            ReportId = report.ReportId,
            Fingerprint = fingerprint,
            ReceivedAt = receivedAt,
            Lat = location.Lat,
            Lon = location.Lon,
            AccuracyM = location.AccuracyM,
            DeclaredCategory = report.DeclaredCategory,
            Description = report.Description,
            Channel = report.Channel,
            ReportedAt = report.ReportedAt,
            PhotoSha256 = photoSha256,
            PhotoFormat = decision.Photo.Format,
            PhotoWidth = decision.Photo.Width,
            PhotoHeight = decision.Photo.Height,
            ExifLat = decision.Photo.ExifLocation?.Lat,
            ExifLon = decision.Photo.ExifLocation?.Lon,
            TakenAt = decision.Photo.TakenAt,
            PhotoOrientation = decision.Photo.Orientation,
        };
    }

    public static DecisionRecord ToRecord(TriageDecision decision, DateTimeOffset at) => new()
    {
        Source = DecisionSource.Model,
        Actor = $"{decision.ModelName}/{decision.ModelVersion}",
        At = at,
        Status = decision.Status,
        LabelCode = decision.Label?.Code,
        Confidence = decision.Confidence,
        Candidates = decision.Candidates,
        QueueId = decision.Queue.Id,
        QueueName = decision.Queue.Name,
        Rule = decision.Rule,
        ModelName = decision.ModelName,
        ModelVersion = decision.ModelVersion,
        Context = decision.Context,
        DeclaredToExifDistanceM = decision.DeclaredToExifDistanceM,
        Explanation = decision.Explanation,
    };

    /// <summary>The report's current decision as the pipeline gives it; a label the taxonomy no longer has reads as none.</summary>
    public static TriageDecision ToDecision(StoredReport stored, Taxonomy.Taxonomy taxonomy)
    {
        var (report, decision) = stored;
        GeoPoint? exif = report.ExifLat is { } lat && report.ExifLon is { } lon ? new GeoPoint(lat, lon) : null;
        return new TriageDecision
        {
            ReportId = report.ReportId,
            Status = decision.Status,
            Label = decision.LabelCode is { } code ? taxonomy.Find(code) : null,
            Confidence = decision.Confidence,
            Candidates = decision.Candidates,
            Queue = new QueueRef(decision.QueueId, decision.QueueName),
            Context = decision.Context,
            Photo = new PhotoMetadata(report.PhotoWidth, report.PhotoHeight, report.PhotoFormat, exif, report.TakenAt, report.PhotoOrientation),
            DeclaredToExifDistanceM = decision.DeclaredToExifDistanceM,
            ModelName = decision.ModelName,
            ModelVersion = decision.ModelVersion,
            Rule = decision.Rule,
            Explanation = decision.Explanation,
            DuplicateOf = report.DuplicateOf,
            ReportCount = report.ReportCount,
        };
    }
}
