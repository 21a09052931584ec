using System.CommandLine;
using System.Globalization;
using System.Text;
using Fidamia.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fidamia.Cli;

/// <summary>
/// <c>fidamia dataset export --out DIR [--since DATE]</c>: every human-labelled report as an ImageFolder
/// (<c>DIR/&lt;label&gt;/&lt;report id&gt;.&lt;format&gt;</c>, the stored photos, metadata stripped) and <c>DIR/labels.csv</c>.
/// </summary>
internal static class DatasetCommand
{
    /// <summary>A stored photo is at most the service's photo limit (20 MB by default) plus the item around it.</summary>
    private const int MaxItemBytes = 64 * 1024 * 1024;

    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write (created if need be)", Required = true };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only reports labelled since then (e.g. 2026-11-01)" };
        var server = new Option<string>("--server") { Description = "The service's gRPC address", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var export = new Command("export", "Write every human-labelled report as an ImageFolder plus labels.csv") { output, since, server };
        export.SetAction(async (result, cancellationToken) =>
        {
            if (!Uri.TryCreate(result.GetValue(server), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            {
                await Console.Error.WriteLineAsync($"error: --server must be an http:// or https:// address, not '{result.GetValue(server)}'");
                return TriageCommand.ExitUsage;
            }

            var root = result.GetValue(output)!;
            using var channel = CliAuth.Open(address, result, new GrpcChannelOptions { MaxReceiveMessageSize = MaxItemBytes });
            var request = new ExportRequest();
            if (result.GetValue(since) is { } from)
            {
                request.Since = Timestamp.FromDateTimeOffset(from);
            }

            try
            {
                root.Create();
                var (written, withoutPhoto) = await ExportAsync(new DatasetService.DatasetServiceClient(channel), request, root, cancellationToken);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{written} reports written to {root.FullName}{(withoutPhoto > 0 ? $" ({withoutPhoto} without photo: deleted by retention)" : "")}"));
                return 0;
            }
            catch (RpcException ex)
            {
                await Console.Error.WriteLineAsync(TriageCommand.Describe(ex));
                return TriageCommand.ExitRpcError;
            }
        });
        return new Command("dataset", "Export what operators labelled, for training and calibration") { Subcommands = { export } };
    }

    private static async Task<(int Written, int WithoutPhoto)> ExportAsync(
        DatasetService.DatasetServiceClient client, ExportRequest request, DirectoryInfo root, CancellationToken cancellationToken)
    {
        var (written, withoutPhoto) = (0, 0);
        await using var csv = new StreamWriter(Path.Combine(root.FullName, "labels.csv"), append: false, new UTF8Encoding(false));
        await csv.WriteLineAsync("report_id,label,source,operator,model_name,model_version,model_label,model_confidence,decided_at,photo");
        using var call = client.Export(request, cancellationToken: cancellationToken);
        await foreach (var item in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            var photo = "";
            if (!item.PhotoDeleted)
            {
                // Label codes and report ids are [a-z0-9_] and [A-Za-z0-9._:-]: safe as folder and file names, but ':'.
                photo = $"{item.Label}/{item.ReportId.Replace(':', '_')}.{(item.PhotoFormat == "jpeg" ? "jpg" : item.PhotoFormat)}";
                Directory.CreateDirectory(Path.Combine(root.FullName, item.Label));
                await File.WriteAllBytesAsync(Path.Combine(root.FullName, photo), item.Photo.Memory, cancellationToken);
            }
            else
            {
                withoutPhoto++;
            }

            await csv.WriteLineAsync(string.Join(',', new[]
            {
                item.ReportId, item.Label, item.Source, item.Operator, item.ModelName, item.ModelVersion, item.ModelLabel,
                item.ModelConfidence.ToString("0.######", CultureInfo.InvariantCulture), item.DecidedAt.ToDateTimeOffset().ToString("O", CultureInfo.InvariantCulture), photo,
            }.Select(Field)));
            written++;
        }

        return (written, withoutPhoto);
    }

    /// <summary>RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.</summary>
    private static string Field(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
}
