using System.CommandLine;
using System.Globalization;
using Fidamia.Protos.V1;

namespace Fidamia.Cli.Model;

/// <summary>
/// <c>fidamia model list|load|activate|rollback|unload|status</c>: a running service's model versions, for data scientists
/// and ops, through <c>fidamia.v1.ModelService</c>.
/// </summary>
internal static class ModelAdminCommands
{
    public static IEnumerable<Command> Create() => [List(), Load(), Activate(), Rollback(), Unload(), Status(), Shadow(), StopShadow()];

    private static Command Shadow()
    {
        var (name, version) = Arguments();
        var rate = new Option<double>("--rate") { Description = "The share of live reports the candidate sees (above 0, at most 1)", DefaultValueFactory = _ => 0.1 };
        var command = new Command("shadow", "Run a loaded version on a share of the live reports, off the request path, and compare its labels with the live model's") { name, version, rate };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) =>
        {
            var status = await new ModelService.ModelServiceClient(channel).ShadowAsync(
                new ShadowModelRequest { Name = result.GetValue(name)!, Version = result.GetValue(version)!, SampleRate = result.GetValue(rate) },
                cancellationToken: cancellationToken);
            return json ? CliJson.Format(status) : Describe(status);
        });
    }

    private static Command StopShadow()
    {
        var command = new Command("stop-shadow", "Stop the shadow; the candidate stays loaded");
        return QueueCommand.Rpc(command, command, async (channel, _, json, cancellationToken) =>
        {
            var status = await new ModelService.ModelServiceClient(channel).StopShadowAsync(new StopShadowRequest(), cancellationToken: cancellationToken);
            return json ? CliJson.Format(status) : Describe(status);
        });
    }

    private static Command List()
    {
        var command = new Command("list", "Every version in the service's model repository, with its state");
        return QueueCommand.Rpc(command, command, async (channel, _, json, cancellationToken) =>
        {
            var response = await new ModelService.ModelServiceClient(channel).ListAsync(new ListModelsRequest(), cancellationToken: cancellationToken);
            return json ? CliJson.Format(response) : Table(response.Versions);
        });
    }

    private static Command Load()
    {
        var (name, version) = Arguments();
        var command = new Command("load", "Load a version beside the live one (checked against its manifest, warmed up); the live version is untouched") { name, version };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) =>
        {
            var loaded = await new ModelService.ModelServiceClient(channel).LoadAsync(
                new LoadModelRequest { Name = result.GetValue(name)!, Version = result.GetValue(version)! }, cancellationToken: cancellationToken);
            return json ? CliJson.Format(loaded) : Table([loaded]);
        });
    }

    private static Command Activate()
    {
        var (name, version) = Arguments();
        var force = new Option<bool>("--force") { Description = "Swap even though the version's prototype memory has learnt nothing yet" };
        var command = new Command("activate", "Make a loaded version live; requests already running finish on the old one") { name, version, force };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) =>
        {
            var status = await new ModelService.ModelServiceClient(channel).ActivateAsync(
                new ActivateModelRequest { Name = result.GetValue(name)!, Version = result.GetValue(version)!, Force = result.GetValue(force) },
                cancellationToken: cancellationToken);
            return json ? CliJson.Format(status) : Describe(status);
        });
    }

    private static Command Rollback()
    {
        var command = new Command("rollback", "Go back to the version that was live before the last swap");
        return QueueCommand.Rpc(command, command, async (channel, _, json, cancellationToken) =>
        {
            var status = await new ModelService.ModelServiceClient(channel).RollbackAsync(new RollbackModelRequest(), cancellationToken: cancellationToken);
            return json ? CliJson.Format(status) : Describe(status);
        });
    }

    private static Command Unload()
    {
        var (name, version) = Arguments();
        var command = new Command("unload", "Unload a version that is not live") { name, version };
        return QueueCommand.Rpc(command, command, async (channel, result, json, cancellationToken) =>
        {
            var unloaded = await new ModelService.ModelServiceClient(channel).UnloadAsync(
                new UnloadModelRequest { Name = result.GetValue(name)!, Version = result.GetValue(version)! }, cancellationToken: cancellationToken);
            return json ? CliJson.Format(unloaded) : Table([unloaded]);
        });
    }

    private static Command Status()
    {
        var command = new Command("status", "The live version, the one a rollback goes back to, and every loaded version");
        return QueueCommand.Rpc(command, command, async (channel, _, json, cancellationToken) =>
        {
            var status = await new ModelService.ModelServiceClient(channel).StatusAsync(new ModelStatusRequest(), cancellationToken: cancellationToken);
            return json ? CliJson.Format(status) : Describe(status);
        });
    }

    private static (Argument<string> Name, Argument<string> Version) Arguments() =>
        (new Argument<string>("name") { Description = "The model's name (its folder in the repository)" },
         new Argument<string>("version") { Description = "The version (its folder under the model's)" });

    private static string Describe(ModelStatus status)
    {
        var lines = new List<string> { $"live: {status.Live.Name} {status.Live.Version}" };
        if (status.Previous is { } previous)
        {
            lines.Add($"rollback goes to: {previous.Name} {previous.Version}");
        }

        lines.Add(Table(status.Loaded));
        if (status.Shadow is { } shadow)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"shadow: {shadow.Candidate.Name} {shadow.Candidate.Version} on {shadow.SampleRate:0.###} of reports: {shadow.Sampled} sampled, {shadow.Dropped} dropped, {shadow.Failed} failed, {shadow.Compared} compared, agreement {shadow.Agreement:0.00}; {shadow.Resolved} resolved by operators, accuracy live {shadow.LiveAccuracy:0.00} / candidate {shadow.CandidateAccuracy:0.00}"));
            lines.Add("label              compared  agreed  agreement  resolved  live right  candidate right");
            lines.AddRange(shadow.Labels.Select(l => string.Create(CultureInfo.InvariantCulture,
                $"{l.Label,-18} {l.Compared,8} {l.Agreed,7} {l.Agreement,10:0.00} {l.Resolved,9} {l.LiveRight,10} {l.CandidateRight,16}")));
            lines.Add("live label -> candidate label: reports");
            lines.AddRange(shadow.Confusion.Select(c => $"{c.Live} -> {c.Candidate}: {c.Count}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string Table(IEnumerable<ModelVersion> versions)
    {
        var lines = new List<string> { "name             version  state      kind       precision  load s   requests  reason" };
        lines.AddRange(versions.Select(v => string.Create(CultureInfo.InvariantCulture,
            $"{v.Name,-16} {v.Version,-8} {State(v.State),-10} {v.Kind,-10} {v.Precision,-10} {(v.LoadTime is null ? "-" : v.LoadTime.ToTimeSpan().TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)),-8} {v.Requests,8}  {v.Reason}{Reembedding(v.Reembedding)}{(v.Checks is null ? "" : "quantizer checks " + v.Checks.Summary)}")));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Reembedding(Reembedding? progress) => progress is null ? "" : string.Create(CultureInfo.InvariantCulture,
        $"re-embedding {progress.FromModel}'s examples: {progress.Done + progress.Skipped + progress.Failed}/{progress.Total}{(progress.Finished ? " done" : "")}{(progress.Error.Length > 0 ? $" ({progress.Error})" : "")}");

    private static string State(ModelState state) => state.ToString().ToLowerInvariant();
}
