using Fidamia.Core.Taxonomy;

namespace Fidamia.UnitTests.Core;

public class TaxonomyTests
{
    [Fact]
    public void Load_ShippedFile_HasStableCodesFamiliesAndFrenchNames()
    {
        var taxonomy = TestTaxonomy.Shipped();

        Assert.InRange(taxonomy.Count, 12, 20);
        Assert.Equal("voirie", taxonomy.Find("nid_de_poule")!.Family.Code);
        Assert.Equal("Graffiti ou tag", taxonomy.Find("graffiti")!.Name);
        Assert.Equal("proprete", taxonomy.Find("depot_sauvage")!.Family.Code);
        Assert.All(taxonomy.Labels, l => Assert.True(TaxonomyCode.IsValid(l.Code)));
        Assert.Equal(Enumerable.Range(0, taxonomy.Count), taxonomy.Labels.Select(l => l.Index));
    }

    [Fact]
    public void Constructor_LabelWithUnknownFamily_FailsNamingBoth()
    {
        var ex = Assert.Throws<TaxonomyException>(() => new Taxonomy(
            [new TaxonomyFamily("voirie", "Voirie")],
            [("a", "A", "voirie", null), ("b", "B", "nope", null)]));

        Assert.Contains("'b'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'nope'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Graffiti")]
    [InlineData("nid de poule")]
    [InlineData("1abc")]
    [InlineData("")]
    public void Constructor_InvalidCode_Fails(string code)
    {
        Assert.Throws<TaxonomyException>(() => new Taxonomy(
            [new TaxonomyFamily("voirie", "Voirie")],
            [("ok", "Ok", "voirie", null), (code, "X", "voirie", null)]));
    }

    [Fact]
    public void Constructor_DuplicateLabel_Fails()
    {
        Assert.Throws<TaxonomyException>(() => new Taxonomy(
            [new TaxonomyFamily("voirie", "Voirie")],
            [("a", "A", "voirie", null), ("a", "A again", "voirie", null)]));
    }

    [Fact]
    public void Load_MissingFile_FailsNamingThePath()
    {
        var ex = Assert.Throws<TaxonomyException>(() => Taxonomy.Load("/nonexistent/taxonomy.json"));

        Assert.Contains("/nonexistent/taxonomy.json", ex.Message, StringComparison.Ordinal);
    }
}
