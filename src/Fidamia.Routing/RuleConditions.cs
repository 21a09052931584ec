using System.Collections.Frozen;
using Fidamia.Core.Location;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;

namespace Fidamia.Routing;

/// <summary>
/// One compiled <c>when</c> key. Matching runs for every report against every rule before it, so it only reads
/// the request and precompiled sets; describing (which allocates) runs once, for the rule that matched.
/// </summary>
internal abstract class RuleCondition
{
    public abstract bool Matches(RouteRequest request);

    /// <summary>What decided the match, naming the layer feature where there is one, e.g. "zone parcs/p12 Parc Borély (park)".</summary>
    public abstract string Describe(RouteRequest request);

    internal static string DescribeCommune(CommuneRef commune) => $"{commune.Insee} {commune.Name}";
}

internal sealed class LabelCondition(FrozenSet<string> labels) : RuleCondition
{
    public override bool Matches(RouteRequest request) => labels.Contains(request.Label.Code);

    public override string Describe(RouteRequest request) => $"label {request.Label.Code}";
}

internal sealed class FamilyCondition(FrozenSet<string> families) : RuleCondition
{
    public override bool Matches(RouteRequest request) => families.Contains(request.Label.Family.Code);

    public override string Describe(RouteRequest request) => $"family {request.Label.Family.Code}";
}

internal sealed class CommuneCondition(FrozenSet<string> insee) : RuleCondition
{
    public override bool Matches(RouteRequest request) => insee.Contains(request.Context.Commune.Insee);

    public override string Describe(RouteRequest request) => $"commune {DescribeCommune(request.Context.Commune)}";
}

internal sealed class ArrondissementCondition(FrozenSet<string> insee) : RuleCondition
{
    public override bool Matches(RouteRequest request) =>
        request.Context.Arrondissement is { } arrondissement && insee.Contains(arrondissement.Insee);

    public override string Describe(RouteRequest request) =>
        $"arrondissement {DescribeCommune(request.Context.Arrondissement!)}";
}

internal sealed class TerritoryCondition(FrozenSet<string> territories) : RuleCondition
{
    public override bool Matches(RouteRequest request) => territories.Contains(request.Context.Territory);

    public override string Describe(RouteRequest request) =>
        $"territory {request.Context.Territory} (commune {DescribeCommune(request.Context.Commune)})";
}

internal sealed class ZoneLayerCondition(FrozenSet<string> layers) : RuleCondition
{
    public override bool Matches(RouteRequest request) => IndexOfMatch(request.Context.Zones) >= 0;

    public override string Describe(RouteRequest request) =>
        ZoneTypeCondition.DescribeZone(request.Context.Zones[IndexOfMatch(request.Context.Zones)]);

    // An indexed loop: foreach over the interface would allocate an enumerator per report and rule.
    private int IndexOfMatch(IReadOnlyList<ZoneRef> zones)
    {
        for (var i = 0; i < zones.Count; i++)
        {
            if (layers.Contains(zones[i].Layer))
            {
                return i;
            }
        }

        return -1;
    }
}

internal sealed class ZoneTypeCondition(FrozenSet<string> types) : RuleCondition
{
    public override bool Matches(RouteRequest request) => IndexOfMatch(request.Context.Zones) >= 0;

    public override string Describe(RouteRequest request) =>
        DescribeZone(request.Context.Zones[IndexOfMatch(request.Context.Zones)]);

    internal static string DescribeZone(ZoneRef zone) => $"zone {zone.Layer}/{zone.Id} {zone.Name} ({zone.Type})";

    private int IndexOfMatch(IReadOnlyList<ZoneRef> zones)
    {
        for (var i = 0; i < zones.Count; i++)
        {
            if (types.Contains(zones[i].Type))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <param name="owners">Owners of the nearest road that match.</param>
/// <param name="matchesNoRoad">Whether <c>none</c> was listed: no road within the locator's distance.</param>
internal sealed class RoadOwnerCondition(FrozenSet<string> owners, bool matchesNoRoad) : RuleCondition
{
    public override bool Matches(RouteRequest request) =>
        request.Context.Road is { } road ? owners.Contains(road.Owner) : matchesNoRoad;

    public override string Describe(RouteRequest request) => request.Context.Road is { } road
        ? $"road {road.Name} owned by {road.Owner} ({road.Layer}/{road.Id}, {road.DistanceM:0} m)"
        : "no road near";
}

internal sealed class ChannelCondition(int channelMask) : RuleCondition
{
    public override bool Matches(RouteRequest request) => (channelMask & Bit(request.Channel)) != 0;

    public override string Describe(RouteRequest request) => $"channel {Name(request.Channel)}";

    public static int Bit(ReportChannel channel) => 1 << ((int)channel & 31);

    /// <summary>The channels as rules name them; the enum's own names are not part of the file format.</summary>
    public static readonly FrozenDictionary<string, ReportChannel> ByName = new Dictionary<string, ReportChannel>(StringComparer.OrdinalIgnoreCase)
    {
        ["web"] = ReportChannel.Web,
        ["app"] = ReportChannel.App,
        ["phone"] = ReportChannel.Phone,
        ["agent"] = ReportChannel.Agent,
        ["unspecified"] = ReportChannel.Unspecified,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    public static string Name(ReportChannel channel) => channel switch
    {
        ReportChannel.Web => "web",
        ReportChannel.App => "app",
        ReportChannel.Phone => "phone",
        ReportChannel.Agent => "agent",
        _ => "unspecified",
    };
}
