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

/// <summary>A request is invalid; every violated field is listed.</summary>
public class InvalidRequestException : FidamiaException
{
    public InvalidRequestException(IReadOnlyList<FieldViolation> violations, string what = "request")
        : base($"Invalid {what}: " + string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")))
    {
        Violations = violations;
    }

    public InvalidRequestException(string field, string description, Exception? inner = null, string what = "request")
        : base($"Invalid {what}: {field}: {description}", inner)
    {
        Violations = [new FieldViolation(field, description)];
    }

    public IReadOnlyList<FieldViolation> Violations { get; }
}

/// <summary>The report is invalid; every violated field is listed.</summary>
public sealed class InvalidReportException : InvalidRequestException
{
    public InvalidReportException(IReadOnlyList<FieldViolation> violations)
        : base(violations, "report")
    {
    }

    public InvalidReportException(string field, string description, Exception? inner = null)
        : base(field, description, inner, "report")
    {
    }
}

/// <summary>The report id was already used for a different report.</summary>
public sealed class ReportConflictException(string message) : FidamiaException(message);

/// <summary>The service is saturated; the caller should retry after the hint.</summary>
public sealed class CapacityExceededException(string message, TimeSpan retryAfter) : FidamiaException(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>What the call names does not exist: a report id never stored, a queue no rule names, a lease not held.</summary>
public sealed class NotFoundException(string message) : FidamiaException(message);

/// <summary>The request is valid but the state it needs is not there: a report not under review, a claim another holds.</summary>
public sealed class PreconditionFailedException(string message, string subject, string type) : FidamiaException(message)
{
    /// <summary>What the precondition is about, e.g. <c>reports/r-1</c>.</summary>
    public string Subject { get; } = subject;

    /// <summary>Which precondition, e.g. <c>CLAIM</c>, <c>STATUS</c>.</summary>
    public string Type { get; } = type;
}

/// <summary>The call carries no valid identity where one is needed: no bearer token, or one that does not validate.</summary>
public sealed class UnauthenticatedException(string message) : FidamiaException(message);

/// <summary>The caller is known but lacks the role the call needs; the message names it.</summary>
public sealed class PermissionDeniedException(string message) : FidamiaException(message);

/// <summary>The service cannot take the call now (shutting down): another instance, or a retry, can.</summary>
public sealed class UnavailableException(string message) : FidamiaException(message);
