using Fidamia.Routing;
using static Fidamia.UnitTests.Routing.RoutingTestData;

namespace Fidamia.UnitTests.Routing;

public class RulesReloadTests
{
    private const string VoirieToA = """
        default: revue
        queues:
          - { id: revue, service: accueil }
          - { id: a, service: voirie }
          - { id: b, service: voirie }
        rules:
          - id: voirie
            when: { family: voirie }
            then: a
        """;

    private static readonly string VoirieToB = VoirieToA.Replace("then: a", "then: b", StringComparison.Ordinal);

    // Rule #1 now names a label the taxonomy does not have.
    private static readonly string Broken = VoirieToB.Replace("family: voirie", "label: nid_de_pole", StringComparison.Ordinal);

    // Generous: a loaded CI machine can be slow to deliver file events; a healthy run takes well under a second.
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void TryReload_ValidNewFile_RoutesByTheNewRules()
    {
        using var file = new TempRulesFile(VoirieToA);
        using var router = new RulesRouter(Taxonomy, file.Path);
        Assert.Equal("a", router.Route(Request("nid_de_poule", Aix)).Queue.Id);

        file.Write(VoirieToB);
        var result = router.TryReload();

        Assert.True(result.Succeeded);
        Assert.Empty(result.Problems);
        Assert.Equal("b", router.Route(Request("nid_de_poule", Aix)).Queue.Id);
    }

    [Fact]
    public void TryReload_BrokenFile_KeepsTheOldRulesAndReportsTheProblem()
    {
        using var file = new TempRulesFile(VoirieToA);
        using var router = new RulesRouter(Taxonomy, file.Path);
        var before = router.Rules;

        file.Write(Broken);
        var result = router.TryReload();

        Assert.False(result.Succeeded);
        Assert.Equal($"rule #1 'voirie' (line {LineOf(Broken, "- id: voirie")}): unknown label 'nid_de_pole' (labels of the taxonomy)", Assert.Single(result.Problems));
        Assert.Same(before, router.Rules);
        Assert.Equal("a", router.Route(Request("nid_de_poule", Aix)).Queue.Id);
    }

    [Fact]
    public void TryReload_InvalidYaml_KeepsTheOldRules()
    {
        using var file = new TempRulesFile(VoirieToA);
        using var router = new RulesRouter(Taxonomy, file.Path);

        file.Write("default: [revue\nqueues:\n");
        var result = router.TryReload();

        Assert.False(result.Succeeded);
        Assert.Contains("invalid YAML", Assert.Single(result.Problems), StringComparison.Ordinal);
        Assert.Equal("a", router.Route(Request("trottoir", Aix)).Queue.Id);
    }

    [Fact]
    public void TryReload_FileDeleted_KeepsTheOldRules()
    {
        using var file = new TempRulesFile(VoirieToA);
        using var router = new RulesRouter(Taxonomy, file.Path);

        File.Delete(file.Path);
        var result = router.TryReload();

        Assert.False(result.Succeeded);
        Assert.Equal("a", router.Route(Request("trottoir", Aix)).Queue.Id);
    }

    [Fact]
    public void TryReload_BrokenThenFixed_RecoversWithTheFixedRules()
    {
        using var file = new TempRulesFile(VoirieToA);
        using var router = new RulesRouter(Taxonomy, file.Path);

        file.Write(Broken);
        Assert.False(router.TryReload().Succeeded);
        file.Write(VoirieToB);

        Assert.True(router.TryReload().Succeeded);
        Assert.Equal("b", router.Route(Request("trottoir", Aix)).Queue.Id);
    }

    [Fact]
    public async Task Watching_FileRewritten_ReloadsTheNewRules()
    {
        using var file = new TempRulesFile(VoirieToA);
        using var router = new RulesRouter(Taxonomy, file.Path);
        var reloaded = new TaskCompletionSource<RulesReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Only a successful reload completes the wait: a reload that raced the write reads a partial file and fails.
        router.Reloaded += result =>
        {
            if (result.Succeeded)
            {
                reloaded.TrySetResult(result);
            }
        };
        router.StartWatching(TimeSpan.FromMilliseconds(50));

        file.Write(VoirieToB);
        await reloaded.Task.WaitAsync(EventTimeout);

        Assert.Equal("b", router.Route(Request("nid_de_poule", Aix)).Queue.Id);
    }

    [Fact]
    public async Task Watching_BrokenFileSavedByRename_KeepsOldRulesAndReportsProblems()
    {
        using var file = new TempRulesFile(VoirieToA);
        using var router = new RulesRouter(Taxonomy, file.Path);
        var rejected = new TaskCompletionSource<RulesReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        router.Reloaded += result =>
        {
            if (!result.Succeeded)
            {
                rejected.TrySetResult(result);
            }
        };
        router.StartWatching(TimeSpan.FromMilliseconds(50));

        // As editors save: a whole new file written beside the old one, then renamed over it.
        var temporary = Path.Combine(file.Directory, ".routing.yaml.swp");
        await File.WriteAllTextAsync(temporary, Broken);
        File.Move(temporary, file.Path, overwrite: true);
        var result = await rejected.Task.WaitAsync(EventTimeout);

        Assert.Contains("unknown label 'nid_de_pole'", Assert.Single(result.Problems), StringComparison.Ordinal);
        Assert.Equal("a", router.Route(Request("nid_de_poule", Aix)).Queue.Id);
    }

    [Fact]
    public void StartWatching_AfterDispose_Throws()
    {
        using var file = new TempRulesFile(VoirieToA);
        var router = new RulesRouter(Taxonomy, file.Path);
        router.Dispose();

        Assert.Throws<ObjectDisposedException>(() => router.StartWatching(TimeSpan.FromMilliseconds(50)));
    }
}
