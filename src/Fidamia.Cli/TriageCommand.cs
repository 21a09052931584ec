using System.CommandLine;
using System.Text;
using Fidamia.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fidamia.Cli;

/// <summary><c>fidamia triage</c>: sends one photo to the service and prints the decision as protobuf JSON.</summary>
internal static class TriageCommand
{
    public const int ExitRpcError = 1;
    public const int ExitUsage = 2;

    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "The service's gRPC address", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var photo = new Option<FileInfo>("--photo") { Description = "JPEG, PNG or WebP photo", Required = true };
        var lat = new Option<double>("--lat") { Description = "Declared latitude (WGS84 degrees)", Required = true };
        var lon = new Option<double>("--lon") { Description = "Declared longitude (WGS84 degrees)", Required = true };
        var accuracy = new Option<double>("--accuracy") { Description = "Declared position accuracy in metres" };
        var category = new Option<string?>("--category") { Description = "Declared taxonomy code" };
        var description = new Option<string?>("--description") { Description = "The citizen's text" };
        var channel = new Option<string>("--channel") { Description = "web, app, phone or agent", DefaultValueFactory = _ => "app" };
        channel.AcceptOnlyFromAmong("web", "app", "phone", "agent");
        var reportId = new Option<string?>("--report-id") { Description = "Idempotency key; a new one by default" };
        var timeout = new Option<double>("--timeout") { Description = "Deadline in seconds", DefaultValueFactory = _ => 60 };

        var command = new Command("triage", "Triage one photo and print the decision as JSON")
        {
            server, photo, lat, lon, accuracy, category, description, channel, reportId, timeout,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!Uri.TryCreate(result.GetValue(server), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            {
                await Console.Error.WriteLineAsync($"error: --server must be an http:// or https:// address, not '{result.GetValue(server)}'");
                return ExitUsage;
            }

            var file = result.GetValue(photo)!;
            if (!file.Exists)
            {
                await Console.Error.WriteLineAsync($"error: no photo at {file.FullName}");
                return ExitUsage;
            }

            var request = new TriageRequest
            {
                ReportId = result.GetValue(reportId) ?? $"cli-{Guid.NewGuid():N}",
                Photo = ByteString.CopyFrom(await File.ReadAllBytesAsync(file.FullName, cancellationToken)),
                Location = new Protos.V1.GeoPoint { Lat = result.GetValue(lat), Lon = result.GetValue(lon), AccuracyM = result.GetValue(accuracy) },
                DeclaredCategory = result.GetValue(category) ?? "",
                Description = result.GetValue(description) ?? "",
                Channel = ParseChannel(result.GetValue(channel)!),
                ReportedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            };
            return await SendAsync(address, result, request, TimeSpan.FromSeconds(result.GetValue(timeout)), cancellationToken);
        });
        return command;
    }

    private static async Task<int> SendAsync(Uri server, ParseResult result, TriageRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = CliAuth.Open(server, result, new GrpcChannelOptions { MaxSendMessageSize = null });
        var client = new TriageService.TriageServiceClient(channel);
        try
        {
            var response = await client.TriageAsync(request, deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken);
            Console.Out.WriteLine(CliJson.Format(response));
            return 0;
        }
        catch (RpcException ex)
        {
            await Console.Error.WriteLineAsync(Describe(ex));
            return ExitRpcError;
        }
    }

    /// <summary>The status code, its detail and every field violation, one per line.</summary>
    internal static string Describe(RpcException exception)
    {
        var text = new StringBuilder();
        text.Append("error: ").Append(CanonicalName(exception.StatusCode)).Append(": ").AppendLine(exception.Status.Detail);
        var status = exception.GetRpcStatus();
        if (status?.GetDetail<BadRequest>() is { } badRequest)
        {
            foreach (var violation in badRequest.FieldViolations)
            {
                text.Append("  ").Append(violation.Field).Append(": ").AppendLine(violation.Description);
            }
        }

        if (status?.GetDetail<RetryInfo>() is { RetryDelay: { } delay })
        {
            text.Append("  retry after ").Append(delay.ToTimeSpan().TotalSeconds).AppendLine(" s");
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>INVALID_ARGUMENT rather than InvalidArgument: the name every gRPC tool prints.</summary>
    internal static string CanonicalName(StatusCode code)
    {
        var name = code.ToString();
        var builder = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(name[i]));
        }

        return builder.ToString();
    }

    private static Channel ParseChannel(string channel) => channel switch
    {
        "web" => Channel.Web,
        "app" => Channel.App,
        "phone" => Channel.Phone,
        "agent" => Channel.Agent,
        _ => Channel.Unspecified,
    };
}
