using Fidamia.Storage;
using Fidamia.Tests;
using YamlDotNet.RepresentationModel;

namespace Fidamia.UnitTests.Deploy;

/// <summary>
/// The manifests of <c>deploy/kubernetes/</c> against the service they deploy: its ports and endpoints, its settings,
/// its image's user, and against each other (selectors, names). No cluster here: what they say is checked, not applied.
/// </summary>
public class KubernetesManifestTests
{
    private static readonly string Folder = Path.Combine(SharedData.RepositoryRoot, "deploy", "kubernetes");

    private static List<YamlMappingNode> Documents()
    {
        var documents = new List<YamlMappingNode>();
        foreach (var file in Directory.EnumerateFiles(Folder, "*.yaml"))
        {
            var stream = new YamlStream();
            using var reader = new StreamReader(file);
            stream.Load(reader);
            documents.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }

        return documents;
    }

    private static YamlMappingNode Kind(string kind) => Documents().Single(d => S(d, "kind") == kind);

    private static string? S(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }

            node = child;
        }

        return (node as YamlScalarNode)?.Value;
    }

    private static YamlNode N(YamlNode node, params string[] path) =>
        path.Aggregate(node, (current, key) => ((YamlMappingNode)current).Children[new YamlScalarNode(key)]);

    private static IEnumerable<YamlMappingNode> Items(YamlNode node, params string[] path) => ((YamlSequenceNode)N(node, path)).Children.Cast<YamlMappingNode>();

    [Fact]
    public void Deployment_ProbesTheHttpEndpoint_ListensWhereTheServiceDoes_AndTakesItsSecretsFromASecret()
    {
        var deployment = Kind("Deployment");
        var container = Items(deployment, "spec", "template", "spec", "containers").Single();
        var ports = Items(container, "ports").ToDictionary(p => S(p, "name")!, p => S(p, "containerPort"));
        var env = Items(container, "env").ToDictionary(e => S(e, "name")!, e => e);

        Assert.Equal("5080", ports["grpc"]);
        Assert.Equal("5081", ports["http"]);
        Assert.Equal("http://0.0.0.0:5080", S(env["Kestrel__Endpoints__Grpc__Url"], "value"));
        Assert.Equal("http://0.0.0.0:5081", S(env["Kestrel__Endpoints__Http__Url"], "value"));
        Assert.Equal(("/healthz", "http"), (S(container, "livenessProbe", "httpGet", "path"), S(container, "livenessProbe", "httpGet", "port")));
        Assert.Equal(("/readyz", "http"), (S(container, "readinessProbe", "httpGet", "path"), S(container, "readinessProbe", "httpGet", "port")));
        Assert.Equal("/healthz", S(container, "startupProbe", "httpGet", "path"));
        Assert.True(Enum.TryParse<StorageProvider>(S(env["Storage__Provider"], "value"), ignoreCase: true, out var provider));
        Assert.Equal(StorageProvider.Postgres, provider);
        Assert.Equal("fidamia-postgres", S(env["Storage__ConnectionString"], "valueFrom", "secretKeyRef", "name"));
        Assert.Null(S(env["Storage__ConnectionString"], "value"));
        // Every storage setting is one the service has (Storage__X is the setting Storage:X).
        Assert.All(env.Keys.Where(n => n.StartsWith("Storage__", StringComparison.Ordinal)), n => Assert.NotNull(typeof(StorageOptions).GetProperty(n["Storage__".Length..])));
        // Production needs an identity provider (the service refuses its development key there).
        Assert.Equal("fidamia-auth", S(env["Auth__Authority"], "valueFrom", "configMapKeyRef", "name"));
        Assert.All(env.Keys.Where(n => n.StartsWith("Auth__", StringComparison.Ordinal)), n => Assert.NotNull(typeof(Fidamia.Security.AuthOptions).GetProperty(n["Auth__".Length..])));
        // Kubernetes waits this long after SIGTERM before SIGKILL: longer than the drain and the grace period.
        var server = new Fidamia.Server.ServerOptions();
        Assert.True(int.Parse(S(deployment, "spec", "template", "spec", "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture)
            > (server.DrainDelay + server.ShutdownGracePeriod).TotalSeconds);
    }

    [Fact]
    public void Deployment_MountsWhatItsArgumentsName_AsTheImagesUser()
    {
        var spec = N(Kind("Deployment"), "spec", "template", "spec");
        var container = Items(spec, "containers").Single();
        var mounts = Items(container, "volumeMounts").Select(m => S(m, "mountPath")!).ToList();
        var volumes = Items(spec, "volumes").ToDictionary(v => S(v, "name")!, v => v);
        var dockerUser = File.ReadLines(Path.Combine(SharedData.RepositoryRoot, "Dockerfile")).Single(l => l.StartsWith("USER ", StringComparison.Ordinal))[5..].Split(':')[0];

        foreach (var argument in ((YamlSequenceNode)N(container, "args")).Children.Select(a => ((YamlScalarNode)a).Value!))
        {
            var path = argument.Split('=', 2)[1];
            Assert.Contains(mounts, m => path.StartsWith(m + "/", StringComparison.Ordinal));
        }

        Assert.Equal(dockerUser, S(spec, "securityContext", "runAsUser"));
        Assert.Equal("fidamia-rules", S(volumes["rules"], "configMap", "name"));
        Assert.Equal("fidamia-taxonomy", S(volumes["taxonomy"], "configMap", "name"));
        Assert.Equal("fidamia-layers", S(volumes["layers"], "configMap", "name"));
        Assert.Equal("fidamia-photos", S(volumes["photos"], "persistentVolumeClaim", "claimName"));
        Assert.Equal("fidamia-photos", S(Kind("PersistentVolumeClaim"), "metadata", "name"));
    }

    [Fact]
    public void ServiceAutoscalerAndDisruptionBudget_SelectTheDeploymentsPods()
    {
        var deployment = Kind("Deployment");
        var podLabel = S(deployment, "spec", "template", "metadata", "labels", "app.kubernetes.io/name");
        var service = Kind("Service");
        var containerPorts = Items(deployment, "spec", "template", "spec", "containers").Single();

        Assert.Equal(podLabel, S(service, "spec", "selector", "app.kubernetes.io/name"));
        Assert.Equal(podLabel, S(Kind("PodDisruptionBudget"), "spec", "selector", "matchLabels", "app.kubernetes.io/name"));
        Assert.Equal(S(deployment, "metadata", "name"), S(Kind("HorizontalPodAutoscaler"), "spec", "scaleTargetRef", "name"));
        Assert.All(Items(service, "spec", "ports"), p => Assert.Contains(Items(containerPorts, "ports"), c => S(c, "name") == S(p, "targetPort")));
        Assert.True(int.Parse(S(Kind("HorizontalPodAutoscaler"), "spec", "minReplicas")!, System.Globalization.CultureInfo.InvariantCulture) >= 2);
    }
}
