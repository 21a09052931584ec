using System.Text.Json;
using Fidamia.Core.Location;
using Fidamia.Core.Pipeline;

namespace Fidamia.Core.Storage;

/// <summary>
/// What a decision row keeps as JSON: the parts read back whole, never queried. One shape for every provider, so a
/// decision means the same whichever database keeps it.
/// </summary>
public sealed record DecisionDetails(
    string QueueName, IReadOnlyList<LabelScore> Candidates, LocationContext Context, IReadOnlyList<string> Explanation, double? DeclaredToExifDistanceM)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Serialize(DecisionRecord decision) => JsonSerializer.Serialize(
        new DecisionDetails(decision.QueueName, decision.Candidates, decision.Context, decision.Explanation, decision.DeclaredToExifDistanceM), Options);

    /// <summary>The whole decision: a row's columns (what is queried) with these details.</summary>
    public DecisionRecord ToRecord(
        DecisionSource source, string actor, DateTimeOffset at, TriageStatus status, string? labelCode, double confidence,
        string queueId, string? rule, string modelName, string modelVersion) => new()
    {
        Source = source,
        Actor = actor,
        At = at,
        Status = status,
        LabelCode = labelCode,
        Confidence = confidence,
        QueueId = queueId,
        Rule = rule,
        ModelName = modelName,
        ModelVersion = modelVersion,
        QueueName = QueueName,
        Candidates = Candidates,
        Context = Context,
        DeclaredToExifDistanceM = DeclaredToExifDistanceM,
        Explanation = Explanation,
    };

    public static DecisionDetails Deserialize(string json) =>
        JsonSerializer.Deserialize<DecisionDetails>(json, Options) ?? throw new StorageException("Storage: a decision's details are empty");
}
