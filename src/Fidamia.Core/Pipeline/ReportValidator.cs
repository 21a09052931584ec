using Fidamia.Core.Errors;
using Fidamia.Core.Reports;

namespace Fidamia.Core.Pipeline;

/// <summary>Checks a report before any work is spent on it, listing every violated field at once.</summary>
public sealed class ReportValidator(Taxonomy.Taxonomy taxonomy, TimeProvider timeProvider)
{
    public const int MaxReportIdLength = 128;
    public const int MaxDescriptionLength = 4000;

    // Clocks of phones and back-office servers drift; more than this in the future is a bug, not drift.
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromHours(1);

    public void Validate(TriageReport report)
    {
        var violations = Check(report);
        if (violations.Count > 0)
        {
            throw new InvalidReportException(violations);
        }
    }

    /// <summary>Every violation the fields alone show, in field order; empty when they are all acceptable.</summary>
    public List<FieldViolation> Check(TriageReport report)
    {
        var violations = new List<FieldViolation>();

        if (CheckReportId(report.ReportId) is { } idViolation)
        {
            violations.Add(idViolation);
        }

        if (report.Photo.IsEmpty)
        {
            violations.Add(new("photo", "is required"));
        }

        if (report.Location is not { } location)
        {
            violations.Add(new("location", "is required"));
        }
        else
        {
            if (!double.IsFinite(location.Lat) || location.Lat is < -90 or > 90)
            {
                violations.Add(new("location.lat", "must be a finite latitude between -90 and 90 degrees"));
            }

            if (!double.IsFinite(location.Lon) || location.Lon is < -180 or > 180)
            {
                violations.Add(new("location.lon", "must be a finite longitude between -180 and 180 degrees"));
            }

            if (!double.IsFinite(location.AccuracyM) || location.AccuracyM < 0)
            {
                violations.Add(new("location.accuracy_m", "must be a finite number of metres, 0 or more"));
            }
        }

        if (!string.IsNullOrEmpty(report.DeclaredCategory) && taxonomy.Find(report.DeclaredCategory) is null)
        {
            violations.Add(new("declared_category", "is not a code of the taxonomy"));
        }

        if (report.Description is { } description && CountCharacters(description) > MaxDescriptionLength)
        {
            violations.Add(new("description", $"must be at most {MaxDescriptionLength} characters"));
        }

        if (report.Channel == ReportChannel.Unspecified)
        {
            violations.Add(new("channel", "is required (web, app, phone or agent)"));
        }
        else if (!Enum.IsDefined(report.Channel))
        {
            violations.Add(new("channel", "is not a known channel"));
        }

        if (report.ReportedAt is { } reportedAt && reportedAt > timeProvider.GetUtcNow() + MaxClockSkew)
        {
            violations.Add(new("reported_at", "is in the future"));
        }

        return violations;
    }

    /// <summary>What is wrong with a report id, or null: 1-128 of letters, digits and . _ : -.</summary>
    public static FieldViolation? CheckReportId(string? reportId) =>
        string.IsNullOrEmpty(reportId) ? new("report_id", "is required")
        : reportId.Length > MaxReportIdLength ? new("report_id", $"must be at most {MaxReportIdLength} characters")
        : !reportId.All(IsReportIdChar) ? new("report_id", "may contain only letters, digits and . _ : -")
        : null;

    private static bool IsReportIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-';

    // Characters as a person counts them (Unicode scalar values), not UTF-16 code units.
    private static int CountCharacters(string text) =>
        text.Length <= MaxDescriptionLength ? text.Length : text.EnumerateRunes().Count();
}
