using Fidamia.Routing;
using static Fidamia.UnitTests.Routing.RoutingTestData;

namespace Fidamia.UnitTests.Routing;

public class RoutingRulesValidationTests
{
    /// <summary>Two valid rules, then the rule under test as rule #3, so positions and lines are not trivially 1.</summary>
    private static string WithThirdRule(string rule) => $$"""
        default: revue
        queues:
          - { id: revue, service: accueil }
          - { id: voirie-pays-d-aix, service: voirie, territory: "Pays d'Aix" }
          - { id: voirie-pays-salonais, service: voirie, territory: Pays Salonais }
          - { id: transmission-departement, service: departement-13 }
        rules:
          - id: route-departementale
            when: { road_owner: departement }
            then: transmission-departement
          - when: { family: voirie }
            then: voirie-{territory}
        {{rule}}
        """;

    [Theory]
    [InlineData("when: { label: nid_de_pole }\n  then: revue", "unknown label 'nid_de_pole'")]
    [InlineData("when: { label: [graffiti, tag] }\n  then: revue", "unknown label 'tag'")]
    [InlineData("when: { family: voiries }\n  then: revue", "unknown family 'voiries' (families: voirie, proprete,")]
    [InlineData("when: { channel: fax }\n  then: revue", "unknown channel 'fax'")]
    [InlineData("when: { commune: Aix }\n  then: revue", "unknown commune code 'Aix'")]
    [InlineData("when: { arrondissement: '132081' }\n  then: revue", "unknown arrondissement code '132081'")]
    [InlineData("when: { territory: Pays d Aix }\n  then: revue", "unknown territory 'Pays d Aix' (territories of the queues: Pays Salonais, Pays d'Aix)")]
    [InlineData("when: { colour: red }\n  then: revue", "unknown condition 'colour'")]
    [InlineData("when: { family: voirie }\n  then: voirie-marseille", "then names queue 'voirie-marseille', which is not declared under 'queues'")]
    [InlineData("when: { family: voirie }\n  then: voirie-{quartier}", "unknown template variable {quartier}")]
    [InlineData("when: { family: voirie }\n  then: voirie-{territory", "has a '{' without '}'")]
    [InlineData("when: { label: graffiti }\n  then: \"{label}-{territory}\"", "can expand to undeclared queue(s) 'graffiti-pays-d-aix', 'graffiti-pays-salonais'")]
    [InlineData("when: { family: voirie }\n  then: voirie-{family}", "can expand to undeclared queue(s) 'voirie-voirie'")]
    [InlineData("when: { label: graffiti, family: voirie }\n  then: voirie-{territory}", "exclude each other")]
    [InlineData("when: { family: [] }\n  then: revue", "'family' has no value")]
    [InlineData("when: [ family ]\n  then: revue", "'when' must be a mapping")]
    [InlineData("when: { family: voirie }", "no 'then'")]
    [InlineData("when: { family: voirie }\n  then: revue\n  priority: 3", "unknown key 'priority'")]
    public void Parse_BrokenThirdRule_NamesRuleThreeAndItsLine(string rule, string problem)
    {
        var yaml = WithThirdRule("  - id: broken\n    " + rule.Replace("\n  ", "\n    ", StringComparison.Ordinal));

        var error = Refused(yaml);

        var reported = Assert.Single(error.Problems);
        Assert.StartsWith($"rule #3 'broken' (line {LineOf(yaml, "- id: broken")}): ", reported, StringComparison.Ordinal);
        Assert.Contains(problem, reported, StringComparison.Ordinal);
        Assert.Contains(reported, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RuleWithoutId_NamedByPositionAndLine()
    {
        var yaml = WithThirdRule("  - when: { family: voirie }\n    then: nulle-part");

        var reported = Assert.Single(Refused(yaml).Problems);

        Assert.StartsWith($"rule #3 (line {LineOf(yaml, "then: nulle-part") - 1}): ", reported, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TerritoryTemplateMissingOneTerritory_NamesTheMissingQueue()
    {
        var yaml = WithThirdRule("  - id: proprete\n    when: { family: proprete }\n    then: voirie-{territory}-proprete");

        var reported = Assert.Single(Refused(yaml).Problems);

        Assert.Contains("'voirie-pays-d-aix-proprete', 'voirie-pays-salonais-proprete'", reported, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CatchAllTerritoryTemplateWithoutEveryFamilyQueue_IsRefused()
    {
        // No "when": every family of the taxonomy can reach the template, and only voirie has queues.
        var yaml = WithThirdRule("  - then: \"{family}-{territory}\"");

        var reported = Assert.Single(Refused(yaml).Problems);

        Assert.Contains("'proprete-pays-d-aix'", reported, StringComparison.Ordinal);
        Assert.Contains("'autre-pays-salonais'", reported, StringComparison.Ordinal);
        Assert.DoesNotContain("'voirie-pays-d-aix'", reported, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TerritoryTemplateWithoutTerritorialQueues_IsRefused()
    {
        var error = Refused("""
            default: revue
            queues:
              - { id: revue, service: accueil }
            rules:
              - when: { family: voirie }
                then: voirie-{territory}
            """);

        Assert.Contains("no queue declares a territory", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateRuleIds_NamesBothRules()
    {
        var yaml = WithThirdRule("  - id: route-departementale\n    when: { road_owner: etat }\n    then: transmission-departement");

        var reported = Assert.Single(Refused(yaml).Problems);

        Assert.Equal(
            $"rule #3 'route-departementale' (line {LineOf(yaml, "road_owner: etat") - 1}): duplicate rule id 'route-departementale' "
            + $"(also rule #1 'route-departementale' (line {LineOf(yaml, "- id: route-departementale")}))",
            reported);
    }

    [Fact]
    public void Parse_DuplicateQueueIds_NamesTheQueueAndBothLines()
    {
        const string Yaml = """
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: voirie, service: voirie }
              - { id: voirie, service: voirie-bis }
            """;

        var reported = Assert.Single(Refused(Yaml).Problems);

        Assert.Equal("queue #3 'voirie' (line 5): duplicate queue id 'voirie' (first declared at line 4)", reported);
    }

    [Theory]
    [InlineData("- { id: Voirie_Aix, service: voirie }", "queue #2 'Voirie_Aix' (line 4): id 'Voirie_Aix' must be lower-case letters, digits and hyphens")]
    [InlineData("- { id: voirie }", "queue #2 'voirie' (line 4): no service")]
    [InlineData("- { service: voirie }", "queue #2 (line 4): no id")]
    [InlineData("- { id: voirie, service: voirie, owner: metropole }", "queue #2 'voirie' (line 4): unknown queue key 'owner'")]
    public void Parse_BrokenQueue_NamesTheQueueAndItsLine(string queue, string problem)
    {
        var yaml = $$"""
            default: revue
            queues:
              - { id: revue, service: accueil }
              {{queue}}
            """;

        Assert.StartsWith(problem, Assert.Single(Refused(yaml).Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoDefault_IsRefused()
    {
        var error = Refused("""
            queues:
              - { id: revue, service: accueil }
            """);

        Assert.Contains("no default queue", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DefaultNotDeclared_NamesItsLine()
    {
        var error = Refused("""
            queues:
              - { id: revue, service: accueil }
            default: revues
            """);

        Assert.Equal("line 3: default queue 'revues' is not declared under 'queues'", Assert.Single(error.Problems));
    }

    [Fact]
    public void Parse_UnknownTopLevelKey_IsRefused()
    {
        var error = Refused("""
            default: revue
            queues:
              - { id: revue, service: accueil }
            regles: []
            """);

        Assert.Equal("line 4: unknown key 'regles' (known: default, queues, rules)", Assert.Single(error.Problems));
    }

    [Fact]
    public void Parse_InvalidYaml_GivesTheParserMessageAndLine()
    {
        const string Yaml = """
            default: revue
            queues:
              - { id: revue, service: accueil
            rules: []
            """;

        var reported = Assert.Single(Refused(Yaml).Problems);

        Assert.Matches(@"^line [34]: invalid YAML: .+", reported);
    }

    [Fact]
    public void Parse_DuplicateKeyInYaml_IsRefusedWithItsLine()
    {
        const string Yaml = """
            default: revue
            queues:
              - { id: revue, service: accueil }
            rules:
              - when: { family: voirie, family: proprete }
                then: revue
            """;

        var reported = Assert.Single(Refused(Yaml).Problems);

        Assert.StartsWith("line 5: ", reported, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyFile_IsRefused()
    {
        Assert.Contains("empty", Assert.Single(Refused("# nothing yet\n").Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralProblems_ListsThemAllInOrder()
    {
        const string Yaml = """
            default: revue
            queues:
              - { id: revue, service: accueil }
            rules:
              - when: { family: voiries }
                then: revues
              - id: ok
                when: { family: voirie }
                then: revue
              - id: bad-queue
                when: { label: graffiti }
                then: graffiti
            """;

        var error = Refused(Yaml);

        Assert.Equal(3, error.Problems.Count);
        Assert.StartsWith("rule #1 (line 5): unknown family 'voiries'", error.Problems[0], StringComparison.Ordinal);
        Assert.StartsWith("rule #1 (line 5): then names queue 'revues'", error.Problems[1], StringComparison.Ordinal);
        Assert.StartsWith("rule #3 'bad-queue' (line 10): then names queue 'graffiti'", error.Problems[2], StringComparison.Ordinal);
        Assert.Contains("3 problem(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ListedCommunesInTemplate_AreCheckedAtLoad()
    {
        var error = Refused("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: pm-13001, service: police-municipale }
            rules:
              - when: { commune: ['13001', '13005'] }
                then: pm-{commune}
            """);

        Assert.EndsWith("can expand to undeclared queue(s) 'pm-13005'", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnlistedCommuneTemplate_IsLeftToRunTime()
    {
        var rules = RoutingRulesLoader.Parse("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: pm-13001, service: police-municipale }
            rules:
              - when: { family: stationnement }
                then: pm-{commune}
            """, "test.yaml", Taxonomy);

        Assert.True(Assert.Single(rules.Rules).Then.IsTemplate);
    }

    [Fact]
    public void RulesRouter_MissingFile_ThrowsNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "fidamia-no-such-dir-" + Guid.NewGuid().ToString("N"), "routing.yaml");

        var error = Assert.Throws<RoutingRulesException>(() => new RulesRouter(Taxonomy, path));

        Assert.Equal(path, error.RulesPath);
        Assert.StartsWith("cannot read the file", Assert.Single(error.Problems), StringComparison.Ordinal);
    }
}
