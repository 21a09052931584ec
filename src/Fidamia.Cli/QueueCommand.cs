using System.CommandLine;
using System.Globalization;
using Fidamia.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fidamia.Cli;

/// <summary>
/// <c>fidamia queue stats|lease|ack|nack|requeue</c> and <c>fidamia report show</c>: a service team's and the back-office's
/// view of the queues and the stored reports, against a running service. Text by default, JSON with <c>--json</c>.
/// </summary>
internal static class QueueCommand
{
    public static Command Create()
    {
        var command = new Command("queue", "See and work the service queues of a running service");
        command.Subcommands.Add(Stats());
        command.Subcommands.Add(Lease());
        command.Subcommands.Add(Ack());
        command.Subcommands.Add(Nack());
        command.Subcommands.Add(Requeue());
        return command;
    }

    public static Command Report()
    {
        var id = new Argument<string>("id") { Description = "The report id" };
        var show = new Command("show", "Print a stored report's current decision") { id };
        return Rpc(new Command("report", "Follow the stored reports") { Subcommands = { show } }, show, async (channel, result, json, token) =>
        {
            var response = await new TriageService.TriageServiceClient(channel).GetReportAsync(
                new GetReportRequest { ReportId = result.GetValue(id)! }, cancellationToken: token);
            // The decision is what `fidamia triage` printed: JSON either way.
            return CliJson.Format(response);
        });
    }

    private static Command Stats()
    {
        var command = new Command("stats", "Per queue: depth, in flight, dead letters, age of the oldest waiting item");
        return Rpc(command, command, async (channel, result, json, token) =>
        {
            var response = await new QueueService.QueueServiceClient(channel).StatsAsync(new StatsRequest(), cancellationToken: token);
            return json ? CliJson.Format(response) : string.Join(Environment.NewLine,
                response.Queues.Select(q => string.Create(CultureInfo.InvariantCulture,
                    $"{q.Queue,-40} depth {q.Depth,6}  in flight {q.InFlight,6}  dead {q.DeadLetters,6}  oldest {(q.OldestAge is null ? "-" : $"{q.OldestAge.ToTimeSpan().TotalSeconds:0} s")}"))
                .DefaultIfEmpty("(no queue has items yet)"));
        });
    }

    private static Command Lease()
    {
        var queue = new Argument<string>("queue") { Description = "The queue id (as the routing rules name it; revue for review)" };
        var max = new Option<int>("--max") { Description = "How many items at most", DefaultValueFactory = _ => 10 };
        var visibility = new Option<double>("--visibility") { Description = "Seconds the items are yours before they are delivered again", DefaultValueFactory = _ => 300 };
        var command = new Command("lease", "Lease items of a queue (ack them when done)") { queue, max, visibility };
        return Rpc(command, command, async (channel, result, json, token) =>
        {
            var response = await new QueueService.QueueServiceClient(channel).LeaseAsync(new LeaseRequest
            {
                Queue = result.GetValue(queue)!,
                MaxItems = result.GetValue(max),
                VisibilityTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(result.GetValue(visibility))),
            }, cancellationToken: token);
            return json ? CliJson.Format(response) : string.Join(Environment.NewLine,
                response.Items.Select(i => string.Create(CultureInfo.InvariantCulture,
                    $"{i.LeaseId}  {i.ReportId}  {i.Label?.Code ?? "(no label)"} {i.Confidence:0.00}  {i.Context?.Commune?.Name}  attempt {i.Attempts}"))
                .DefaultIfEmpty("(nothing to lease)"));
        });
    }

    private static Command Ack()
    {
        var leases = new Argument<string[]>("lease-ids") { Description = "The leases to mark done", Arity = ArgumentArity.OneOrMore };
        var command = new Command("ack", "Mark leased items done") { leases };
        return Rpc(command, command, async (channel, result, json, token) =>
        {
            var request = new AckRequest();
            request.LeaseIds.AddRange(result.GetValue(leases)!);
            var response = await new QueueService.QueueServiceClient(channel).AckAsync(request, cancellationToken: token);
            return json ? CliJson.Format(response)
                : response.UnknownLeaseIds.Count == 0 ? $"{request.LeaseIds.Count} done"
                : $"{request.LeaseIds.Count - response.UnknownLeaseIds.Count} done; not held any more: {string.Join(' ', response.UnknownLeaseIds)}";
        });
    }

    private static Command Nack()
    {
        var lease = new Argument<string>("lease-id") { Description = "The lease to give back" };
        var retry = new Option<double>("--retry-after") { Description = "Seconds before the item is delivered again", DefaultValueFactory = _ => 0 };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the report's audit trail)", DefaultValueFactory = _ => "" };
        var command = new Command("nack", "Give a leased item back, to be delivered again") { lease, retry, reason };
        return Rpc(command, command, async (channel, result, json, token) =>
        {
            var response = await new QueueService.QueueServiceClient(channel).NackAsync(new NackRequest
            {
                LeaseId = result.GetValue(lease)!,
                RetryAfter = Duration.FromTimeSpan(TimeSpan.FromSeconds(result.GetValue(retry))),
                Reason = result.GetValue(reason)!,
            }, cancellationToken: token);
            return json ? CliJson.Format(response) : "given back";
        });
    }

    private static Command Requeue()
    {
        var queue = new Argument<string>("queue") { Description = "The queue whose dead letters go back" };
        var command = new Command("requeue", "Put a queue's dead letters back") { queue };
        return Rpc(command, command, async (channel, result, json, token) =>
        {
            var response = await new QueueService.QueueServiceClient(channel).RequeueAsync(new RequeueRequest { Queue = result.GetValue(queue)! }, cancellationToken: token);
            return json ? CliJson.Format(response) : $"{response.Requeued} requeued";
        });
    }

    /// <summary>Adds --server and --json to <paramref name="action"/>, and prints its answer, or the RPC error as triage does.</summary>
    internal static Command Rpc(Command returned, Command action, Func<GrpcChannel, ParseResult, bool, CancellationToken, Task<string>> call)
    {
        var server = new Option<string>("--server") { Description = "The service's gRPC address", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var json = new Option<bool>("--json") { Description = "Print the answer as JSON" };
        action.Options.Add(server);
        action.Options.Add(json);
        action.SetAction(async (result, cancellationToken) =>
        {
            if (!Uri.TryCreate(result.GetValue(server), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            {
                await Console.Error.WriteLineAsync($"error: --server must be an http:// or https:// address, not '{result.GetValue(server)}'");
                return TriageCommand.ExitUsage;
            }

            using var channel = CliAuth.Open(address, result);
            try
            {
                Console.Out.WriteLine(await call(channel, result, result.GetValue(json), cancellationToken));
                return 0;
            }
            catch (RpcException ex)
            {
                await Console.Error.WriteLineAsync(TriageCommand.Describe(ex));
                return TriageCommand.ExitRpcError;
            }
        });
        return returned;
    }
}
