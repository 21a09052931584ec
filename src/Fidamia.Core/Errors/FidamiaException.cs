namespace Fidamia.Core.Errors;

/// <summary>
/// Base of the errors the pipeline raises on purpose. The host maps each kind to one
/// transport status in a single place; messages never carry personal data.
/// </summary>
public abstract class FidamiaException : Exception
{
    protected FidamiaException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>A field of the request that cannot be accepted, named by its API field path (e.g. <c>location.lat</c>).</summary>
public sealed record FieldViolation(string Field, string Description);

/// <summary>The report is invalid; every violated field is listed.</summary>
public sealed class InvalidReportException : FidamiaException
{
    public InvalidReportException(IReadOnlyList<FieldViolation> violations)
        : base("Invalid report: " + string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")))
    {
        Violations = violations;
    }

    public InvalidReportException(string field, string description, Exception? inner = null)
        : base($"Invalid report: {field}: {description}", inner)
    {
        Violations = [new FieldViolation(field, description)];
    }

    public IReadOnlyList<FieldViolation> Violations { get; }
}

/// <summary>The report id was already used for a different report.</summary>
public sealed class ReportConflictException(string message) : FidamiaException(message);

/// <summary>The service is saturated; the caller should retry after the hint.</summary>
public sealed class CapacityExceededException(string message, TimeSpan retryAfter) : FidamiaException(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>No report is stored under the id asked for.</summary>
public sealed class ReportNotFoundException(string message) : FidamiaException(message);
