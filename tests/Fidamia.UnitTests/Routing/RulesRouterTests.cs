using Fidamia.Core.Location;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using static Fidamia.UnitTests.Routing.RoutingTestData;

namespace Fidamia.UnitTests.Routing;

public class RulesRouterTests
{
    private static readonly Dictionary<string, RouteRequest> Scenarios = new()
    {
        ["pothole in Aix, web"] = Request("nid_de_poule", Aix),
        ["pothole on the D2 in Aubagne, phone"] = Request("nid_de_poule", AubagneOnD2, ReportChannel.Phone),
        ["graffiti in Parc Borély, agent"] = Request("graffiti", BorelyPark, ReportChannel.Agent),
        ["fallen tree in Parc Borély, app"] = Request("arbre", BorelyPark, ReportChannel.App),
    };

    /// <summary>One rule "when: WHEN then: hit"; a report it does not match goes to the default "revue".</summary>
    private static QueueAssignment RouteOneRule(string when, string scenario) => Router($$"""
        default: revue
        queues:
          - { id: revue, service: accueil }
          - { id: hit, service: equipe }
        rules:
          - id: r
            when: {{when}}
            then: hit
        """).Route(Scenarios[scenario]);

    [Theory]
    [InlineData("{ label: nid_de_poule }", "pothole in Aix, web", true)]
    [InlineData("{ label: graffiti }", "pothole in Aix, web", false)]
    [InlineData("{ label: [graffiti, nid_de_poule] }", "pothole in Aix, web", true)]
    [InlineData("{ family: voirie }", "pothole on the D2 in Aubagne, phone", true)]
    [InlineData("{ family: [proprete, espaces_verts] }", "pothole in Aix, web", false)]
    [InlineData("{ family: [proprete, espaces_verts] }", "fallen tree in Parc Borély, app", true)]
    [InlineData("{ commune: '13001' }", "pothole in Aix, web", true)]
    [InlineData("{ commune: ['13005', '13055'] }", "pothole in Aix, web", false)]
    [InlineData("{ commune: 13055 }", "graffiti in Parc Borély, agent", true)]
    [InlineData("{ arrondissement: '13208' }", "graffiti in Parc Borély, agent", true)]
    [InlineData("{ arrondissement: '13201' }", "graffiti in Parc Borély, agent", false)]
    [InlineData("{ arrondissement: '13208' }", "pothole in Aix, web", false)]
    [InlineData("{ territory: \"Pays d'Aix\" }", "pothole in Aix, web", true)]
    [InlineData("{ territory: [Marseille Provence, \"Pays d'Aubagne et de l'Étoile\"] }", "pothole in Aix, web", false)]
    [InlineData("{ territory: \"Pays d'Aubagne et de l'Étoile\" }", "pothole on the D2 in Aubagne, phone", true)]
    [InlineData("{ zone_layer: parcs }", "fallen tree in Parc Borély, app", true)]
    [InlineData("{ zone_layer: parcs }", "pothole in Aix, web", false)]
    [InlineData("{ zone_type: park }", "graffiti in Parc Borély, agent", true)]
    [InlineData("{ zone_type: [port, beach] }", "graffiti in Parc Borély, agent", false)]
    [InlineData("{ road_owner: departement }", "pothole on the D2 in Aubagne, phone", true)]
    [InlineData("{ road_owner: departement }", "fallen tree in Parc Borély, app", false)]
    [InlineData("{ road_owner: [etat, metropole] }", "fallen tree in Parc Borély, app", true)]
    [InlineData("{ road_owner: none }", "pothole in Aix, web", true)]
    [InlineData("{ road_owner: none }", "pothole on the D2 in Aubagne, phone", false)]
    [InlineData("{ channel: agent }", "graffiti in Parc Borély, agent", true)]
    [InlineData("{ channel: [web, app] }", "graffiti in Parc Borély, agent", false)]
    [InlineData("{ channel: [web, app] }", "fallen tree in Parc Borély, app", true)]
    [InlineData("{ family: voirie, territory: \"Pays d'Aix\", road_owner: none, channel: web }", "pothole in Aix, web", true)]
    [InlineData("{ family: voirie, territory: \"Pays d'Aix\" }", "pothole on the D2 in Aubagne, phone", false)]
    [InlineData("{ label: graffiti, channel: agent }", "fallen tree in Parc Borély, app", false)]
    [InlineData("{}", "pothole in Aix, web", true)]
    [InlineData("", "pothole on the D2 in Aubagne, phone", true)]
    public void Route_WhenCondition_MatchesOnlyTheReportsItDescribes(string when, string scenario, bool matches)
    {
        var assignment = RouteOneRule(when, scenario);

        Assert.Equal(matches ? "hit" : "revue", assignment.Queue.Id);
        Assert.Equal(matches ? "r" : "default", assignment.Rule);
    }

    [Fact]
    public void Route_SeveralRulesMatch_FirstOneWins()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: first, service: equipe }
              - { id: second, service: equipe }
            rules:
              - when: { family: voirie }
                then: first
              - when: { label: nid_de_poule }
                then: second
            """);

        var assignment = router.Route(Request("nid_de_poule", Aix));

        Assert.Equal("first", assignment.Queue.Id);
        Assert.Equal("#1", assignment.Rule);
    }

    [Fact]
    public void Route_NoRuleMatches_DefaultQueueWithItsNameAndExplanation()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil, name: Revue et routage manuel }
              - { id: voirie, service: voirie }
            rules:
              - when: { family: voirie }
                then: voirie
            """);

        var assignment = router.Route(Request("graffiti", Aix));

        Assert.Equal(new QueueRef("revue", "Revue et routage manuel"), assignment.Queue);
        Assert.Equal("default", assignment.Rule);
        Assert.Equal("rule default: no rule matched → revue", Assert.Single(assignment.Explanation));
    }

    [Fact]
    public void Route_NoRules_EverythingGoesToDefault()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
            """);

        Assert.Equal("revue", router.Route(Request("arbre", BorelyPark)).Queue.Id);
    }

    private const string OutboundRules = """
        default: revue
        queues:
          - { id: revue, service: accueil }
          - { id: transmission-departement, service: departement-13, name: Transmission au Département }
          - { id: transmission-etat, service: dir-mediterranee }
          - { id: voirie-pays-d-aubagne-et-de-l-etoile, service: voirie, territory: "Pays d'Aubagne et de l'Étoile" }
          - { id: voirie-pays-d-aix, service: voirie, territory: "Pays d'Aix" }
        rules:
          - id: route-departementale
            when:
              road_owner: departement
            then: transmission-departement
          - id: route-nationale
            when:
              road_owner: etat
            then: transmission-etat
          - id: voirie
            when:
              family: voirie
            then: voirie-{territory}
        """;

    [Fact]
    public void Route_PotholeOnDepartementalRoad_GoesToDepartementNotVoirie()
    {
        var assignment = Router(OutboundRules).Route(Request("nid_de_poule", AubagneOnD2));

        Assert.Equal(new QueueRef("transmission-departement", "Transmission au Département"), assignment.Queue);
        Assert.Equal("route-departementale", assignment.Rule);
        Assert.Equal(
            "rule 'route-departementale' (#1): road D2 Avenue de Marseille owned by departement (routes/rd-2-114, 6 m) → transmission-departement",
            Assert.Single(assignment.Explanation));
    }

    [Fact]
    public void Route_PotholeOnStateRoad_GoesToEtat()
    {
        var onA50 = Aubagne with { Road = new RoadRef("routes", "a50-3", "A50", "etat", 12) };

        var assignment = Router(OutboundRules).Route(Request("nid_de_poule", onA50));

        Assert.Equal("transmission-etat", assignment.Queue.Id);
        Assert.Equal("route-nationale", assignment.Rule);
    }

    [Fact]
    public void Route_PotholeOnMetropoleRoad_GoesToTerritoryVoirie()
    {
        var onMetropoleRoad = Aubagne with { Road = new RoadRef("routes", "v-1", "Cours Foch", "metropole", 3) };

        var assignment = Router(OutboundRules).Route(Request("nid_de_poule", onMetropoleRoad));

        Assert.Equal("voirie-pays-d-aubagne-et-de-l-etoile", assignment.Queue.Id);
    }

    [Fact]
    public void Route_TerritoryTemplateWithAccents_ExpandsToSlugAndExplainsTheValue()
    {
        var assignment = Router(OutboundRules).Route(Request("trottoir", Aubagne));

        Assert.Equal("voirie-pays-d-aubagne-et-de-l-etoile", assignment.Queue.Id);
        Assert.Equal("voirie", assignment.Rule);
        Assert.Equal(
            [
                "rule 'voirie' (#3): family voirie → voirie-pays-d-aubagne-et-de-l-etoile",
                "queue voirie-{territory} → voirie-pays-d-aubagne-et-de-l-etoile: territory Pays d'Aubagne et de l'Étoile (commune 13005 Aubagne)",
            ],
            assignment.Explanation);
    }

    [Fact]
    public void Route_ZoneRule_ExplanationNamesTheZoneFeature()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: parcs, service: parcs-et-jardins }
            rules:
              - when: { zone_type: park, channel: app }
                then: parcs
            """);

        var assignment = router.Route(Request("arbre", BorelyPark, ReportChannel.App));

        Assert.Equal("#1", assignment.Rule);
        Assert.Equal("rule #1: zone parcs/p-12 Parc Borély (park), channel app → parcs", Assert.Single(assignment.Explanation));
    }

    [Fact]
    public void Route_CommuneAndArrondissementRule_ExplanationNamesBoth()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: tags, service: brigade }
            rules:
              - id: tags-8e
                when: { commune: '13055', arrondissement: '13208', label: graffiti }
                then: tags
            """);

        var explanation = Assert.Single(router.Route(Request("graffiti", BorelyPark)).Explanation);

        Assert.Equal("rule 'tags-8e' (#1): commune 13055 Marseille, arrondissement 13208 Marseille 8e Arrondissement, label graffiti → tags", explanation);
    }

    [Fact]
    public void Route_EmptyWhen_ExplanationSaysItMatchesEverything()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: tout, service: accueil }
            rules:
              - id: tout
                then: tout
            """);

        Assert.Equal("rule 'tout' (#1): matches every report → tout", Assert.Single(router.Route(Request("autre", Aix)).Explanation));
    }

    [Fact]
    public void Route_NoRoadNear_ExplanationSaysSo()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: hors-voirie, service: accueil }
            rules:
              - when: { road_owner: none }
                then: hors-voirie
            """);

        Assert.Equal("rule #1: no road near → hors-voirie", Assert.Single(router.Route(Request("depot_sauvage", Aix)).Explanation));
    }

    private const string CommuneTemplateRules = """
        default: revue
        queues:
          - { id: revue, service: accueil }
          - { id: pm-13001, service: police-municipale, name: Police municipale d'Aix }
          - { id: stationnement, service: stationnement }
        rules:
          - id: police-communale
            when: { family: stationnement }
            then: pm-{commune}
          - when: { family: stationnement }
            then: stationnement
        """;

    [Fact]
    public void Route_CommuneTemplate_ExpandsToTheCommuneQueue()
    {
        var assignment = Router(CommuneTemplateRules).Route(Request("epave", Aix));

        Assert.Equal("pm-13001", assignment.Queue.Id);
        Assert.Contains("commune 13001 Aix-en-Provence", assignment.Explanation[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Route_TemplateExpandsToUndeclaredQueue_SkipsToNextRuleAndSaysWhy()
    {
        var assignment = Router(CommuneTemplateRules).Route(Request("epave", Aubagne));

        Assert.Equal("stationnement", assignment.Queue.Id);
        Assert.Equal("#2", assignment.Rule);
        Assert.Equal(
            [
                "rule 'police-communale' (#1): family stationnement, but pm-{commune} → pm-13005 names no declared queue; next rule",
                "rule #2: family stationnement → stationnement",
            ],
            assignment.Explanation);
    }

    [Fact]
    public void Route_TemplateUndeclaredAndNothingElseMatches_DefaultKeepsTheSkipLine()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: pm-13001, service: police-municipale }
            rules:
              - when: { family: stationnement }
                then: pm-{commune}
            """);

        var assignment = router.Route(Request("epave", Aubagne));

        Assert.Equal("revue", assignment.Queue.Id);
        Assert.Equal(2, assignment.Explanation.Count);
        Assert.Contains("pm-13005 names no declared queue", assignment.Explanation[0], StringComparison.Ordinal);
        Assert.Equal("rule default: no rule matched → revue", assignment.Explanation[1]);
    }

    [Fact]
    public void Route_ArrondissementTemplate_ExpandsInMarseilleAndSkipsElsewhere()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: tags-13208, service: brigade }
              - { id: proprete, service: proprete }
            rules:
              - when: { label: graffiti }
                then: tags-{arrondissement}
              - when: { family: proprete }
                then: proprete
            """);

        var inMarseille = router.Route(Request("graffiti", BorelyPark));
        var inAix = router.Route(Request("graffiti", Aix));

        Assert.Equal("tags-13208", inMarseille.Queue.Id);
        Assert.Contains("arrondissement 13208 Marseille 8e Arrondissement", inMarseille.Explanation[^1], StringComparison.Ordinal);
        Assert.Equal("proprete", inAix.Queue.Id);
        Assert.Contains("needs an arrondissement", inAix.Explanation[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Route_FamilyAndLabelTemplates_WriteUnderscoresAsHyphens()
    {
        var router = Router("""
            default: revue
            queues:
              - { id: revue, service: accueil }
              - { id: equipe-espaces-verts, service: espaces-verts }
              - { id: signalement-nid-de-poule, service: voirie }
              - { id: signalement-trottoir, service: voirie }
            rules:
              - when: { family: espaces_verts }
                then: equipe-{family}
              - when: { label: [nid_de_poule, trottoir] }
                then: signalement-{label}
            """);

        Assert.Equal("equipe-espaces-verts", router.Route(Request("vegetation", Aix)).Queue.Id);
        Assert.Equal("signalement-nid-de-poule", router.Route(Request("nid_de_poule", Aix)).Queue.Id);
        Assert.Equal("signalement-trottoir", router.Route(Request("trottoir", Aix)).Queue.Id);
    }

    [Fact]
    public void Route_TerritoryNotDeclaredOnAnyQueue_SkipsTheTemplatedRule()
    {
        // The layer may know a territory the rules do not (a new commune joining): the template cannot name a queue.
        var nice = new LocationContext(new CommuneRef("06088", "Nice"), "Nice Côte d'Azur");

        var assignment = Router(OutboundRules).Route(Request("nid_de_poule", nice));

        Assert.Equal("revue", assignment.Queue.Id);
        Assert.Contains("voirie-{territory} → voirie-nice-cote-d-azur names no declared queue", assignment.Explanation[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Route_ManyReportsInParallel_EachGetsItsOwnQueue()
    {
        var router = Router(OutboundRules);
        var requests = new[] { Request("nid_de_poule", Aix), Request("nid_de_poule", AubagneOnD2), Request("graffiti", Aix) };
        var expected = new[] { "voirie-pays-d-aix", "transmission-departement", "revue" };

        var results = new string[3000];
        Parallel.For(0, results.Length, i => results[i] = router.Route(requests[i % 3]).Queue.Id);

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(expected[i % 3], results[i]);
        }
    }
}
