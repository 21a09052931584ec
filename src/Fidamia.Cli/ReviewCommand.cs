using System.CommandLine;
using System.Globalization;
using Fidamia.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fidamia.Cli;

/// <summary>
/// <c>fidamia review list|show|claim|resolve|reject|duplicate</c>: an operator's work from a terminal, against a running
/// service. The operator is <c>--operator</c>, else <c>$FIDAMIA_OPERATOR</c>, else the login name.
/// </summary>
internal static class ReviewCommand
{
    public static Command Create()
    {
        var command = new Command("review", "Review the reports the model is not sure of");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Claim());
        command.Subcommands.Add(Resolve());
        command.Subcommands.Add(Reject());
        command.Subcommands.Add(Duplicate());
        command.Subcommands.Add(Stats());
        return command;
    }

    private static Command Stats()
    {
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only decisions since then (e.g. 2026-11-01)" };
        var command = new Command("stats", "Per model label and confidence band, how often operators agreed; the learnt reliability of declarations") { since };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) =>
        {
            var request = new ReviewStatsRequest();
            if (result.GetValue(since) is { } from)
            {
                request.Since = Timestamp.FromDateTimeOffset(from);
            }

            var response = await new ReviewService.ReviewServiceClient(channel).StatsAsync(request, cancellationToken: cancellationToken);
            if (json)
            {
                return CliJson.Format(response);
            }

            var lines = new List<string> { "model label        confidence   decided  agreed  agreement" };
            lines.AddRange(response.Labels.SelectMany(l => l.Bands.Select(b => string.Create(CultureInfo.InvariantCulture,
                $"{l.Label,-18} {b.From:0.0}-{b.To:0.0}   {b.Decided,9} {b.Agreed,7} {b.Agreement,10:0.00}"))));
            lines.Add("channel  declared           reliability  decisions");
            lines.AddRange(response.Declarations.Select(d => string.Create(CultureInfo.InvariantCulture,
                $"{d.Channel.ToString().Replace("Channel", "", StringComparison.Ordinal).ToLowerInvariant(),-8} {(d.Declared.Length == 0 ? "(all)" : d.Declared),-18} {d.Reliability,11:0.00} {d.Decisions,10}")));
            return string.Join(Environment.NewLine, lines);
        });
    }

    private static Command List()
    {
        var territory = new Option<string>("--territory") { Description = "Only this territory (e.g. \"Marseille Provence\")", DefaultValueFactory = _ => "" };
        var commune = new Option<string>("--commune") { Description = "Only this commune (INSEE code)", DefaultValueFactory = _ => "" };
        var label = new Option<string>("--label") { Description = "Only this label (the model's)", DefaultValueFactory = _ => "" };
        var family = new Option<string>("--family") { Description = "Only this family of labels", DefaultValueFactory = _ => "" };
        var minAge = new Option<double>("--min-age") { Description = "Only reports waiting at least this many seconds", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--page-size") { Description = "Reports per page (0: the service's default)", DefaultValueFactory = _ => 0 };
        var token = new Option<string>("--page-token") { Description = "The next page, as the previous one said", DefaultValueFactory = _ => "" };
        var command = new Command("list", "The reports under review, oldest first, and their counts") { territory, commune, label, family, minAge, size, token };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) =>
        {
            var request = new ListPendingRequest
            {
                Filter = new PendingFilter
                {
                    Territory = result.GetValue(territory)!,
                    CommuneInsee = result.GetValue(commune)!,
                    Label = result.GetValue(label)!,
                    Family = result.GetValue(family)!,
                    MinAge = Duration.FromTimeSpan(TimeSpan.FromSeconds(result.GetValue(minAge))),
                },
                PageSize = result.GetValue(size),
                PageToken = result.GetValue(token)!,
            };
            var response = await new ReviewService.ReviewServiceClient(channel).ListPendingAsync(request, cancellationToken: cancellationToken);
            if (json)
            {
                return CliJson.Format(response);
            }

            var lines = response.Reports.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"{r.Report.ReportId}  {r.ReceivedAt.ToDateTimeOffset():yyyy-MM-dd HH:mm}  {r.Report.Label?.Code ?? "(no label)"} {r.Report.Confidence:0.00}  {r.Report.Context?.Commune?.Name}{(r.Claim is null ? "" : $"  claimed by {r.Claim.Operator}")}"))
                .DefaultIfEmpty("(nothing under review)")
                .Append(string.Create(CultureInfo.InvariantCulture, $"{response.Total} under review; by label: {string.Join(", ", response.Labels.Select(l => $"{l.Value} {l.Count}"))}"));
            return string.Join(Environment.NewLine, response.NextPageToken.Length > 0 ? lines.Append($"next page: --page-token {response.NextPageToken}") : lines);
        });
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "The report id" };
        var photo = new Option<FileInfo?>("--photo") { Description = "Write the photo (JPEG) to this file" };
        var maxSide = new Option<int>("--max-side") { Description = "Longest side of the photo, in pixels", DefaultValueFactory = _ => 1024 };
        var command = new Command("show", "A report as an operator reviews it") { id, photo, maxSide };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) =>
        {
            var item = await new ReviewService.ReviewServiceClient(channel).GetAsync(
                new GetReviewRequest { ReportId = result.GetValue(id)!, MaxSide = result.GetValue(maxSide) }, cancellationToken: cancellationToken);
            if (result.GetValue(photo) is { } file && item.Photo.Length > 0)
            {
                await File.WriteAllBytesAsync(file.FullName, item.Photo.ToByteArray(), cancellationToken);
            }

            // The photo's bytes are for the file, not the terminal.
            item.Photo = Google.Protobuf.ByteString.Empty;
            return CliJson.Format(item);
        });
    }

    private static Command Claim()
    {
        var id = new Argument<string>("id") { Description = "The report id" };
        var who = OperatorOption();
        var command = new Command("claim", "Claim a report to decide on it") { id, who };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) =>
        {
            var response = await new ReviewService.ReviewServiceClient(channel).ClaimAsync(
                new ClaimRequest { ReportId = result.GetValue(id)! }, cancellationToken: cancellationToken);
            return json ? CliJson.Format(response)
                : string.Create(CultureInfo.InvariantCulture, $"claimed by {response.Claim.Operator} until {response.Claim.ExpiresAt.ToDateTimeOffset():HH:mm:ss} UTC");
        });
    }

    private static Command Resolve()
    {
        var id = new Argument<string>("id") { Description = "The report id" };
        var label = new Argument<string>("label") { Description = "The label code" };
        var note = new Option<string>("--note") { Description = "Why (kept with the decision)", DefaultValueFactory = _ => "" };
        var noLearn = new Option<bool>("--no-learn") { Description = "Do not teach the model this photo" };
        var who = OperatorOption();
        var command = new Command("resolve", "Label a claimed report: routed to that label's queue") { id, label, note, noLearn, who };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) => CliJson.Format(
            await new ReviewService.ReviewServiceClient(channel).ResolveAsync(
                new ResolveRequest
                {
                    ReportId = result.GetValue(id)!,
                    LabelCode = result.GetValue(label)!,
                    Note = result.GetValue(note)!,
                    UseForLearning = !result.GetValue(noLearn),
                },
                cancellationToken: cancellationToken)));
    }

    private static Command Reject()
    {
        var id = new Argument<string>("id") { Description = "The report id" };
        var reason = new Option<string>("--reason") { Description = "Why it is no disorder", Required = true };
        var who = OperatorOption();
        var command = new Command("reject", "Reject a claimed report: no queue, the reason kept") { id, reason, who };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) => CliJson.Format(
            await new ReviewService.ReviewServiceClient(channel).RejectAsync(
                new RejectRequest { ReportId = result.GetValue(id)!, Reason = result.GetValue(reason)! }, cancellationToken: cancellationToken)));
    }

    private static Command Duplicate()
    {
        var id = new Argument<string>("id") { Description = "The report id" };
        var of = new Argument<string>("of") { Description = "The report it repeats" };
        var who = OperatorOption();
        var command = new Command("duplicate", "Attach a claimed report to the one it repeats") { id, of, who };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) => CliJson.Format(
            await new ReviewService.ReviewServiceClient(channel).MarkDuplicateAsync(
                new MarkDuplicateRequest { ReportId = result.GetValue(id)!, OfReportId = result.GetValue(of)! }, cancellationToken: cancellationToken)));
    }

    private static Option<string> OperatorOption() => new("--operator")
    {
        Description = "Who decides, as the subject of the development token the tool mints (default $FIDAMIA_OPERATOR, else the login name); a --token names its own",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FIDAMIA_OPERATOR") is { Length: > 0 } name ? name : Environment.UserName,
    };
}
