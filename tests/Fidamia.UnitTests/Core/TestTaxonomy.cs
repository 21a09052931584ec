using Fidamia.Core.Taxonomy;

namespace Fidamia.UnitTests.Core;

internal static class TestTaxonomy
{
    /// <summary>The taxonomy shipped with the service.</summary>
    public static Taxonomy Shipped() => Taxonomy.Load(Path.Combine(AppContext.BaseDirectory, "taxonomy.json"));

    /// <summary>Four labels in two families, small enough to compute posteriors by hand.</summary>
    public static Taxonomy Small() => new(
        [new TaxonomyFamily("voirie", "Voirie"), new TaxonomyFamily("proprete", "Propreté")],
        [
            ("nid_de_poule", "Nid de poule", "voirie", null),
            ("trottoir", "Trottoir", "voirie", 0.6),
            ("graffiti", "Graffiti", "proprete", null),
            ("depot_sauvage", "Dépôt sauvage", "proprete", null),
        ]);
}
