using Fidamia.Core.Location;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Core.Taxonomy;
using Fidamia.Routing;

namespace Fidamia.UnitTests.Routing;

internal static class RoutingTestData
{
    /// <summary>The taxonomy shipped with the service: rules are validated against it.</summary>
    public static readonly Taxonomy Taxonomy = Taxonomy.Load(Path.Combine(AppContext.BaseDirectory, "taxonomy.json"));

    public static readonly LocationContext Aix = new(new CommuneRef("13001", "Aix-en-Provence"), "Pays d'Aix");

    public static readonly LocationContext Aubagne = new(new CommuneRef("13005", "Aubagne"), "Pays d'Aubagne et de l'Étoile");

    /// <summary>Aubagne, on the departmental road D2.</summary>
    public static readonly LocationContext AubagneOnD2 = Aubagne with
    {
        Road = new RoadRef("routes", "rd-2-114", "D2 Avenue de Marseille", "departement", 6.2),
    };

    /// <summary>Marseille 8e, inside the Parc Borély, near a Métropole road.</summary>
    public static readonly LocationContext BorelyPark = new(new CommuneRef("13055", "Marseille"), "Marseille Provence")
    {
        Arrondissement = new CommuneRef("13208", "Marseille 8e Arrondissement"),
        Zones = [new ZoneRef("ecoles", "e-17", "school", "École Borély"), new ZoneRef("parcs", "p-12", "park", "Parc Borély")],
        Road = new RoadRef("routes", "v-8801", "Avenue du Parc Borély", "metropole", 20),
    };

    public static RouteRequest Request(string label, LocationContext context, ReportChannel channel = ReportChannel.Web) =>
        new(Taxonomy.Find(label) ?? throw new ArgumentException($"no label {label}", nameof(label)), context, channel);

    /// <summary>Builds a router from <paramref name="yaml"/> written to a temporary file, as the service would.</summary>
    public static RulesRouter Router(string yaml)
    {
        using var file = new TempRulesFile(yaml);
        return new RulesRouter(Taxonomy, file.Path);
    }

    public static RoutingRulesException Refused(string yaml) =>
        Assert.Throws<RoutingRulesException>(() => RoutingRulesLoader.Parse(yaml, "test.yaml", Taxonomy));

    /// <summary>The 1-based line of the first line of <paramref name="yaml"/> that contains <paramref name="text"/>.</summary>
    public static int LineOf(string yaml, string text)
    {
        var lines = yaml.Split('\n');
        var index = Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        return index >= 0 ? index + 1 : throw new ArgumentException($"'{text}' is not in the YAML", nameof(text));
    }
}

/// <summary>A rules file in a folder of its own (the router watches the folder), deleted with it.</summary>
internal sealed class TempRulesFile : IDisposable
{
    public TempRulesFile(string yaml)
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fidamia-routing-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "routing.yaml");
        Write(yaml);
    }

    public string Directory { get; }

    public string Path { get; }

    public void Write(string yaml) => File.WriteAllText(Path, yaml);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A watcher may still hold the folder for a moment; the temp folder is cleaned up eventually.
        }
    }
}
