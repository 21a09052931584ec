using System.CommandLine;
using System.Globalization;
using Fidamia.Core;
using Fidamia.Core.Context;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Gis;
using Fidamia.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Fidamia.Cli;

/// <summary>
/// <c>fidamia route</c>: where would a report of label L at lat,lon go, and why? Without a photo and
/// without a server: it loads the same layers and rules the service would, from the same settings
/// (<c>--config appsettings.json</c> and <c>--Key=value</c>), so rule maintainers can try a rules file before deploying it.
/// </summary>
internal static class RouteCommand
{
    public const int ExitNoRoute = 1;
    public const int ExitUsage = 2;

    public static Command Create()
    {
        var label = new Option<string>("--label") { Description = "Taxonomy code of the report", Required = true };
        var lat = new Option<double>("--lat") { Description = "Latitude (WGS84 degrees)", Required = true };
        var lon = new Option<double>("--lon") { Description = "Longitude (WGS84 degrees)", Required = true };
        var channel = new Option<string>("--channel") { Description = "web, app, phone or agent", DefaultValueFactory = _ => "app" };
        channel.AcceptOnlyFromAmong("web", "app", "phone", "agent");
        var config = new Option<FileInfo?>("--config") { Description = "A settings file (e.g. the service's appsettings.json)" };
        var json = new Option<bool>("--json") { Description = "Print the answer as JSON" };

        var command = new Command("route", "Say which queue a report of a label at a place goes to, and why (settings as --Key=value after the options)")
        {
            label, lat, lon, channel, config, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) =>
        {
            var settings = result.UnmatchedTokens.Where(t => t.StartsWith("--", StringComparison.Ordinal) && t.Contains('=', StringComparison.Ordinal)).ToArray();
            var stray = result.UnmatchedTokens.Except(settings).ToArray();
            if (stray.Length > 0)
            {
                Console.Error.WriteLine($"error: unrecognised arguments: {string.Join(' ', stray)} (settings are --Key=value)");
                return Task.FromResult(ExitUsage);
            }

            return Task.FromResult(Run(
                result.GetValue(label)!,
                new GeoPoint(result.GetValue(lat), result.GetValue(lon)),
                ParseChannel(result.GetValue(channel)!),
                result.GetValue(config),
                settings,
                result.GetValue(json)));
        });
        return command;
    }

    private static int Run(string labelCode, GeoPoint point, ReportChannel channel, FileInfo? config, string[] settings, bool asJson)
    {
        // Warnings (demo layers...) go to stderr so that stdout stays the answer alone, e.g. pure JSON.
        var builder = LocalHost.CreateBuilder(config, settings);
        builder.AddFidamiaTaxonomy();
        builder.AddFidamiaGis();
        builder.AddFidamiaRouting();

        using var host = builder.Build();
        Core.Taxonomy.Taxonomy taxonomy;
        ILocator locator;
        try
        {
            // Every setting checked at once, then the layers and rules loaded: a wrong one is told as the service tells it.
            host.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
            taxonomy = host.Services.GetRequiredService<Core.Taxonomy.Taxonomy>();
            locator = host.Services.GetRequiredService<ILocator>();
            host.Services.GetRequiredService<IQueueRouter>();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            StartupProblems.Report("fidamia route", ex, Console.Error, StartupProblems.DetailAskedFor(builder.Configuration["Logging:LogLevel:Default"]));
            return ExitUsage;
        }

        var label = taxonomy.Find(labelCode);
        if (label is null)
        {
            Console.Error.WriteLine($"error: '{labelCode}' is not a label of the taxonomy ({string.Join(", ", taxonomy.Labels.Select(l => l.Code))})");
            return ExitUsage;
        }

        if (!point.IsValid)
        {
            Console.Error.WriteLine("error: --lat/--lon are not a WGS84 position");
            return ExitUsage;
        }

        var context = locator.Locate(point);
        if (context is null)
        {
            Console.Error.WriteLine("error: the point is outside the served territory (no commune of the Métropole contains it)");
            return ExitNoRoute;
        }

        var prior = host.Services.GetRequiredService<IContextPrior>().For(context);
        var assignment = host.Services.GetRequiredService<IQueueRouter>().Route(new RouteRequest(label, context, channel));
        Console.Out.WriteLine(asJson ? Json(label.Code, context, assignment, prior) : Text(label, context, assignment, prior));
        return 0;
    }

    private static string Text(Core.Taxonomy.TaxonomyLabel label, LocationContext context, QueueAssignment assignment, ContextPrior prior)
    {
        var lines = new List<string>
        {
            $"queue: {assignment.Queue.Id} ({assignment.Queue.Name})",
            $"rule:  {assignment.Rule}",
            $"label: {label.Code} ({label.Name}), family {label.Family.Code}",
            $"place: {context.Commune.Name} ({context.Commune.Insee}), {context.Territory}"
                + (context.Arrondissement is { } a ? $", {a.Name} ({a.Insee})" : ""),
        };
        if (context.NearBoundaryM is { } near)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"       {near:0} m from a commune boundary"));
        }

        lines.Add("why:");
        lines.AddRange(context.Matches.Select(m => "  layer " + m));
        lines.AddRange(prior.Explanation.Select(e => "  " + e));
        lines.AddRange(assignment.Explanation.Select(e => "  " + e));
        return string.Join(Environment.NewLine, lines);
    }

    // Named and shaped as `fidamia triage` prints the same things (the API's Queue and Context messages).
    private static string Json(string label, LocationContext context, QueueAssignment assignment, ContextPrior prior) =>
        CliJson.Serialize(
            new
            {
                label,
                queue = new { id = assignment.Queue.Id, name = assignment.Queue.Name },
                rule = assignment.Rule,
                context = new
                {
                    commune = new { insee = context.Commune.Insee, name = context.Commune.Name },
                    territory = context.Territory,
                    arrondissement = context.Arrondissement?.Insee ?? "",
                    zones = context.Zones.Select(z => new { layer = z.Layer, id = z.Id, type = z.Type, name = z.Name }),
                    road = context.Road is { } r ? new { id = r.Id, name = r.Name, owner = r.Owner, distanceM = r.DistanceM } : null,
                    nearBoundaryM = context.NearBoundaryM,
                },
                explanation = context.Matches.Select(m => "layer " + m).Concat(prior.Explanation).Concat(assignment.Explanation),
            });

    private static ReportChannel ParseChannel(string channel) => channel switch
    {
        "web" => ReportChannel.Web,
        "app" => ReportChannel.App,
        "phone" => ReportChannel.Phone,
        _ => ReportChannel.Agent,
    };
}
