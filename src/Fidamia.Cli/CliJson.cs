using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;

namespace Fidamia.Cli;

/// <summary>
/// One JSON style for what `triage` and `route` print, the protobuf JSON mapping's: lowerCamelCase names, absent values
/// left out rather than null, text as a person wrote it (protobuf's formatter escapes &lt; and &gt; for HTML pages).
/// </summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly JsonFormatter Protobuf = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>A message in protobuf's JSON mapping (default values included), indented, escaping only what JSON needs.</summary>
    public static string Format(IMessage message) => JsonNode.Parse(Protobuf.Format(message))!.ToJsonString(Options);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
