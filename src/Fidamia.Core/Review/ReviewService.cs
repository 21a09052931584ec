using System.Globalization;
using System.Text;
using Fidamia.Core.Duplicates;
using Fidamia.Core.Errors;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Routing;
using Fidamia.Core.Scoring;
using Fidamia.Core.Storage;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Review;

/// <summary>A report as an operator reviews it: its current decision, the stored report, its photo, who holds it, reports nearby.</summary>
public sealed record ReviewView(TriageDecision Decision, StoredReport Stored, RenderedPhoto? Photo, ReviewClaim? Claim, IReadOnlyList<NearbyMatch> Nearby);

/// <summary>An open report near the reviewed one, with how alike the photos are.</summary>
public sealed record NearbyMatch(string ReportId, double DistanceM, string? LabelCode, double? Cosine, int? HashDistance);

/// <summary>
/// What operators do: list the reports under review, look at one, claim it, and decide (resolve with a label, reject,
/// or attach to another report). Checks every argument and state first, then lets the store apply a decision in one
/// transaction; a resolution routes with the routing rules and, when asked, teaches the prototype memory.
/// </summary>
public sealed class ReviewService(
    IReviewStore reviews,
    IReportStore reports,
    IPhotoArchive archive,
    IPhotoRenderer renderer,
    TriagePipeline pipeline,
    IQueueRouter router,
    ModelScorers scorers,
    Shadow.ShadowTraffic shadow,
    DuplicatePolicy duplicates,
    Fusion.DeclarationReliability reliability,
    IOptions<ReviewOptions> options,
    IOptions<TriageOptions> triage,
    TimeProvider clock)
{
    private const int MaxNote = 2000;
    private readonly ReviewOptions _options = options.Value;
    private readonly Taxonomy.Taxonomy _taxonomy = pipeline.Taxonomy;

    public ReviewOptions Options => _options;

    public Taxonomy.Taxonomy Taxonomy => _taxonomy;

    public async Task<PendingPage> ListAsync(
        string? territory, string? communeInsee, string? label, string? family, TimeSpan? minAge, int pageSize, string? pageToken,
        CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        IReadOnlyCollection<string>? codes = null;
        if (!string.IsNullOrEmpty(label))
        {
            codes = _taxonomy.Find(label) is { } known ? [known.Code] : Violation(violations, "filter.label", $"'{label}' is not a label of the taxonomy");
        }

        if (!string.IsNullOrEmpty(family))
        {
            var ofFamily = _taxonomy.Labels.Where(l => l.Family.Code == family).Select(l => l.Code).ToList();
            if (ofFamily.Count == 0)
            {
                violations.Add(new("filter.family", $"'{family}' is not a family of the taxonomy"));
            }

            codes = codes is null ? ofFamily : codes.Intersect(ofFamily, StringComparer.Ordinal).ToList();
        }

        if (minAge < TimeSpan.Zero)
        {
            violations.Add(new("filter.min_age", "must not be negative"));
        }

        if (pageSize < 0 || pageSize > _options.MaxPageSize)
        {
            violations.Add(new("page_size", $"must be between 1 and {_options.MaxPageSize} (0: {_options.DefaultPageSize})"));
        }

        var cursor = string.IsNullOrEmpty(pageToken) ? null : ParseToken(pageToken, violations);
        if (violations.Count > 0)
        {
            throw new InvalidRequestException(violations);
        }

        var now = clock.GetUtcNow();
        var filter = new PendingFilter(NullIfEmpty(territory), NullIfEmpty(communeInsee), codes, minAge is { } age && age > TimeSpan.Zero ? now - age : null);
        return await reviews.ListPendingAsync(filter, pageSize == 0 ? _options.DefaultPageSize : pageSize, cursor, now, cancellationToken);
    }

    /// <summary>The next page's token for a page's cursor: opaque to callers.</summary>
    public static string Token(PendingCursor cursor) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{cursor.ReceivedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{cursor.ReportId}"));

    public async Task<ReviewView> GetAsync(string reportId, int maxSide, CancellationToken cancellationToken)
    {
        CheckId(reportId, "report_id");
        // 2048 pixels as JPEG stay well under gRPC's default 4 MB a client accepts; a larger one would fail on the client.
        if (maxSide is < 0 or > 2048)
        {
            throw new InvalidRequestException("max_side", "must be between 16 and 2048 pixels (0: 1024)");
        }

        var stored = await reports.FindAsync(reportId, cancellationToken) ?? throw NotFound(reportId);
        var decision = await pipeline.GetReportAsync(reportId, cancellationToken);
        RenderedPhoto? photo = null;
        if (stored.Report.PhotoDeletedAt is null && await archive.ReadAsync(stored.Report.PhotoSha256, cancellationToken) is { } bytes)
        {
            photo = renderer.Render(bytes, stored.Report.PhotoOrientation, maxSide == 0 ? 1024 : Math.Max(maxSide, 16), cancellationToken);
        }

        var now = clock.GetUtcNow();
        var claim = await reviews.FindClaimAsync(reportId, now, cancellationToken);
        return new ReviewView(decision, stored, photo, claim, await NearbyAsync(stored, decision, cancellationToken));
    }

    public async Task<ReviewClaim> ClaimAsync(string reportId, string? operatorName, CancellationToken cancellationToken)
    {
        CheckId(reportId, "report_id");
        var who = Operator(operatorName);
        var (outcome, claim) = await reviews.ClaimAsync(reportId, who, clock.GetUtcNow(), TimeSpan.FromMinutes(_options.ClaimMinutes), cancellationToken);
        return outcome switch
        {
            ClaimOutcome.Claimed => claim!,
            ClaimOutcome.NotFound => throw NotFound(reportId),
            ClaimOutcome.HeldByOther => throw new PreconditionFailedException(
                $"report '{reportId}' is claimed by {claim!.Operator} until {claim.ExpiresAt:O}", $"reports/{reportId}", "CLAIM"),
            _ => throw NotReviewable(reportId),
        };
    }

    /// <summary>The operator's label: routed by the routing rules to its queue; the photo learnt under it when asked.</summary>
    public async Task<TriageDecision> ResolveAsync(
        string reportId, string? operatorName, string labelCode, string? note, bool useForLearning, CancellationToken cancellationToken)
    {
        CheckId(reportId, "report_id");
        var who = Operator(operatorName);
        var violations = new List<FieldViolation>();
        var label = _taxonomy.Find(labelCode ?? "");
        if (label is null)
        {
            violations.Add(new("label_code", string.IsNullOrEmpty(labelCode) ? "is required" : $"'{labelCode}' is not a label of the taxonomy"));
        }

        CheckNote(note, "note", violations);
        if (violations.Count > 0)
        {
            throw new InvalidRequestException(violations);
        }

        var stored = await reports.FindAsync(reportId, cancellationToken) ?? throw NotFound(reportId);
        var model = stored.Decision;
        var assignment = router.Route(new RouteRequest(label!, model.Context, stored.Report.Channel));
        var decision = Human(stored, who, TriageStatus.Routed, label!.Code, assignment.Queue, assignment.Rule,
            [$"operator {who}: '{label.Code}'", .. assignment.Explanation, .. Note(note)]);
        StoredPrototype? learn = null;
        // The example belongs to the feature space of the model that embedded the photo, live or not any more.
        if (useForLearning && stored.Report.Embedding is { } embedding && stored.Report.EmbeddingModel is { } embeddingModel)
        {
            learn = new StoredPrototype(embeddingModel, new PrototypeExample($"report:{reportId}", label.Code, embedding) { ReportId = reportId }, "operator", 1, reportId);
        }

        await ApplyAsync(new HumanDecision(reportId, who, decision, null, learn, "resolved", note), cancellationToken);
        shadow.OnHumanLabel(reportId, label.Code);
        if (learn is not null && scorers.Memory(learn.Model) is { } local)
        {
            // This instance learns at once; the others when they next read the store.
            local.Add([learn.Example]);
        }

        return await pipeline.GetReportAsync(reportId, cancellationToken);
    }

    /// <summary>Not a disorder (abusive, unusable photo, out of scope): no queue, the reason kept.</summary>
    public async Task<TriageDecision> RejectAsync(string reportId, string? operatorName, string reason, CancellationToken cancellationToken)
    {
        CheckId(reportId, "report_id");
        var who = Operator(operatorName);
        var violations = new List<FieldViolation>();
        if (string.IsNullOrWhiteSpace(reason))
        {
            violations.Add(new("reason", "is required"));
        }

        CheckNote(reason, "reason", violations);
        if (violations.Count > 0)
        {
            throw new InvalidRequestException(violations);
        }

        var stored = await reports.FindAsync(reportId, cancellationToken) ?? throw NotFound(reportId);
        var decision = Human(stored, who, TriageStatus.Rejected, null, new QueueRef("", ""), null, [$"operator {who}: rejected: {reason}"]);
        await ApplyAsync(new HumanDecision(reportId, who, decision, null, null, "rejected", reason), cancellationToken);
        return await pipeline.GetReportAsync(reportId, cancellationToken);
    }

    /// <summary>The same problem as another report: attached to it (to the report it is itself attached to, if so).</summary>
    public async Task<TriageDecision> MarkDuplicateAsync(string reportId, string? operatorName, string ofReportId, CancellationToken cancellationToken)
    {
        CheckId(reportId, "report_id");
        CheckId(ofReportId, "of_report_id");
        var who = Operator(operatorName);
        if (reportId == ofReportId)
        {
            throw new InvalidRequestException("of_report_id", "names the report itself");
        }

        var stored = await reports.FindAsync(reportId, cancellationToken) ?? throw NotFound(reportId);
        var original = await reports.FindAsync(ofReportId, cancellationToken) ?? throw NotFound(ofReportId);
        var root = original.Report.DuplicateOf ?? ofReportId;
        if (root == reportId)
        {
            throw new InvalidRequestException("of_report_id", $"is attached to {reportId} itself");
        }

        var decision = Human(stored, who, TriageStatus.Duplicate, stored.Decision.LabelCode, new QueueRef("", ""), null,
            [$"operator {who}: duplicate of report {root}"]);
        await ApplyAsync(new HumanDecision(reportId, who, decision, root, null, "duplicate", null), cancellationToken);
        return await pipeline.GetReportAsync(reportId, cancellationToken);
    }

    /// <summary>Agreement per label and confidence band since <paramref name="since"/>, and the reliability of declarations learnt now.</summary>
    public async Task<(IReadOnlyList<LabelAgreement> Labels, IReadOnlyList<(Reports.ReportChannel Channel, string? Declared, Fusion.Reliability Reliability)> Declarations)> StatsAsync(
        DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var outcomes = await reviews.ReadHumanOutcomesAsync(since ?? clock.GetUtcNow() - triage.Value.ReliabilityWindow, cancellationToken);
        return (ReviewStatistics.Agreement(outcomes), reliability.All);
    }

    private async Task ApplyAsync(HumanDecision human, CancellationToken cancellationToken)
    {
        switch (await reviews.ApplyAsync(human, clock.GetUtcNow(), cancellationToken))
        {
            case HumanDecisionOutcome.Applied:
                return;
            case HumanDecisionOutcome.NotClaimed:
                var holder = await reviews.FindClaimAsync(human.ReportId, clock.GetUtcNow(), cancellationToken);
                throw new PreconditionFailedException(
                    holder is null
                        ? $"report '{human.ReportId}' is not claimed by {human.Operator}: claim it first"
                        : $"report '{human.ReportId}' is claimed by {holder.Operator} until {holder.ExpiresAt:O}",
                    $"reports/{human.ReportId}",
                    "CLAIM");
            default:
                throw NotReviewable(human.ReportId);
        }
    }

    private DecisionRecord Human(
        StoredReport stored, string who, TriageStatus status, string? label, QueueRef queue, string? rule, IReadOnlyList<string> explanation) =>
        stored.Decision with
        {
            Source = DecisionSource.Human,
            Actor = who,
            At = clock.GetUtcNow(),
            Status = status,
            LabelCode = label,
            Confidence = 1,
            QueueId = queue.Id,
            QueueName = queue.Name,
            Rule = rule,
            Explanation = explanation,
        };

    private async Task<IReadOnlyList<NearbyMatch>> NearbyAsync(StoredReport stored, TriageDecision decision, CancellationToken cancellationToken)
    {
        var here = new GeoPoint(stored.Report.Lat, stored.Report.Lon);
        var radius = decision.Label is { } label ? duplicates.RadiusFor(label) : duplicates.MaxRadius;
        var nearby = await reviews.FindNearbyAsync(
            here.Lat, here.Lon, radius, stored.Report.ReceivedAt - duplicates.Options.Window, stored.Report.ReportId,
            duplicates.Options.MaxCandidates, cancellationToken);
        return nearby
            .Where(n => n.Status is not (TriageStatus.Rejected or TriageStatus.Duplicate))
            .Select(n => new NearbyMatch(
                n.ReportId,
                Math.Round(Geodesy.HaversineMeters(here, n.Location), 1),
                n.LabelCode,
                stored.Report.Embedding is { } e && n.Embedding is { } o && o.Length == e.Length && n.EmbeddingModel == stored.Report.EmbeddingModel
                    ? Math.Round(VectorMath.Dot(e, o), 4) : null,
                stored.Report.PhotoHash is { } h && n.PhotoHash is { } oh ? PhotoHash.Distance(h, oh) : null))
            .Where(n => n.DistanceM <= radius)
            .OrderBy(n => n.DistanceM)
            .ToList();
    }

    private static string Operator(string? name) =>
        string.IsNullOrWhiteSpace(name) ? throw new UnauthenticatedException("the token must name the operator (its subject)")
        : name.Length > 64 || name.Any(char.IsControl) ? throw new InvalidRequestException("token subject", "must be at most 64 printable characters to name an operator")
        : name.Trim();

    private static void CheckId(string? id, string field)
    {
        if (ReportValidator.CheckReportId(id) is { } violation)
        {
            throw new InvalidRequestException(field, violation.Description);
        }
    }

    private static void CheckNote(string? note, string field, List<FieldViolation> violations)
    {
        if (note is { Length: > MaxNote })
        {
            violations.Add(new(field, $"is longer than {MaxNote} characters"));
        }
    }

    private static IEnumerable<string> Note(string? note) => string.IsNullOrWhiteSpace(note) ? [] : [$"note: {note}"];

    private static PendingCursor? ParseToken(string token, List<FieldViolation> violations)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('|', 2);
            return new PendingCursor(new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero), parts[1]);
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            violations.Add(new("page_token", "is not a token this service gave"));
            return null;
        }
    }

    private static IReadOnlyCollection<string> Violation(List<FieldViolation> violations, string field, string description)
    {
        violations.Add(new(field, description));
        return [];
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static NotFoundException NotFound(string reportId) => new($"no report '{reportId}' is stored");

    private static PreconditionFailedException NotReviewable(string reportId) =>
        new($"report '{reportId}' is not under review (already resolved, rejected or routed)", $"reports/{reportId}", "STATUS");
}
