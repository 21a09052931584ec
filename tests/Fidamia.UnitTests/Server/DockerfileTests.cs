using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Fidamia.Tests;

namespace Fidamia.UnitTests.Server;

/// <summary>
/// The image restores from the project files alone, so that its package layer survives code changes, and then
/// publishes the whole tree with <c>--no-restore</c>. A project (or a file a project imports) missing from that
/// restore layer only shows when somebody builds the image, as NETSDK1004 (issue 9: Fidamia.Routing was missing).
/// These tests check the layer from the files themselves, without building anything.
/// </summary>
public partial class DockerfileTests
{
    private const string ServerProject = "src/Fidamia.Server/Fidamia.Server.csproj";

    [Fact]
    public void RestoreLayer_CopiesEveryFileTheServersRestoreReads()
    {
        var root = SharedData.RepositoryRoot;
        var dockerfile = RestoreLayer.Parse(File.ReadAllText(Path.Combine(root, "Dockerfile")), root);
        Assert.Contains(ServerProject, dockerfile.RestoreCommand, StringComparison.Ordinal);

        var missing = dockerfile.Missing(RestoreInputs.Of(root, ServerProject));

        Assert.True(missing.Count == 0, "The Dockerfile's restore layer (the COPYs before `" + dockerfile.RestoreCommand
            + "`) lacks, at the path restore reads it from:\n" + string.Join('\n', missing.Select(m => "  " + m)));
    }

    [Fact]
    public void RestoreInputs_Server_AreEveryProjectItReferencesTransitivelyAndTheirImports()
    {
        var inputs = RestoreInputs.Of(SharedData.RepositoryRoot, ServerProject);

        // Guards the walk itself: a walk that found nothing would let the test above pass on any Dockerfile.
        Assert.Subset(inputs.ToHashSet(), new HashSet<string>
        {
            ServerProject,
            "src/Fidamia.Core/Fidamia.Core.csproj",
            "src/Fidamia.Imaging/Fidamia.Imaging.csproj",
            "src/Fidamia.Inference/Fidamia.Inference.csproj",
            "src/Fidamia.Gis/Fidamia.Gis.csproj",
            "src/Fidamia.Routing/Fidamia.Routing.csproj",
            "models/models.targets",
            "Directory.Build.props",
            "Directory.Packages.props",
            "global.json",
        });
        Assert.DoesNotContain("src/Fidamia.Cli/Fidamia.Cli.csproj", inputs);
    }

    [Fact]
    public void Missing_TheRestoreLayerBeforeIssue9_NamesTheRoutingProject()
    {
        // The restore layer as it was when the server gained its Fidamia.Routing reference.
        const string Before = """
            FROM sdk AS build
            WORKDIR /src
            COPY Directory.Build.props Directory.Packages.props global.json ./
            COPY models/models.targets models/
            COPY src/Fidamia.Core/Fidamia.Core.csproj src/Fidamia.Core/
            COPY src/Fidamia.Imaging/Fidamia.Imaging.csproj src/Fidamia.Imaging/
            COPY src/Fidamia.Inference/Fidamia.Inference.csproj src/Fidamia.Inference/
            COPY src/Fidamia.Gis/Fidamia.Gis.csproj src/Fidamia.Gis/
            COPY src/Fidamia.Server/Fidamia.Server.csproj src/Fidamia.Server/
            RUN dotnet restore src/Fidamia.Server/Fidamia.Server.csproj -r linux-x64
            COPY . .
            """;
        var root = SharedData.RepositoryRoot;

        var missing = RestoreLayer.Parse(Before, root).Missing(RestoreInputs.Of(root, ServerProject));

        // Projects the server referenced later are missing from it too; Routing is the one that broke the build then.
        Assert.Contains("src/Fidamia.Routing/Fidamia.Routing.csproj", missing.Select(m => m.Split(' ')[0]));
    }

    [Theory]
    [InlineData("COPY src/Fidamia.Routing/Fidamia.Routing.csproj src/Fidamia.Gis/", false)]
    [InlineData("COPY src/Fidamia.Routing/Fidamia.Routing.csproj src/Fidamia.Routing/", true)]
    [InlineData("COPY src/Fidamia.Routing/Fidamia.Routing.csproj /src/src/Fidamia.Routing/Fidamia.Routing.csproj", true)]
    [InlineData("COPY src/Fidamia.Routing/*.csproj src/Fidamia.Routing/", true)]
    [InlineData("COPY src/*/*.csproj src/", false)]
    [InlineData("COPY src/Fidamia.Routing src/Fidamia.Routing", true)]
    [InlineData("COPY [\"src/Fidamia.Routing/Fidamia.Routing.csproj\", \"src/Fidamia.Routing/\"]", true)]
    [InlineData("COPY --from=other src/Fidamia.Routing/Fidamia.Routing.csproj src/Fidamia.Routing/", false)]
    public void Missing_ACopy_CountsOnlyWhenTheFileLandsWhereRestoreReadsIt(string copy, bool lands)
    {
        var dockerfile = RestoreLayer.Parse($"FROM sdk\nWORKDIR /src\n{copy}\nRUN dotnet restore x.csproj\n", SharedData.RepositoryRoot);

        var missing = dockerfile.Missing(["src/Fidamia.Routing/Fidamia.Routing.csproj"]);

        Assert.Equal(lands, missing.Count == 0);
    }

    /// <summary>
    /// The repository's files one restore of a project reads: the project files of its ProjectReference closure, the
    /// files each of them imports (explicitly, or implicitly as Directory.Build.props/.targets and Directory.Packages.props),
    /// NuGet configuration files and global.json. Paths are relative to the repository root, with '/'.
    /// </summary>
    internal static partial class RestoreInputs
    {
        private static readonly string[] NuGetConfigNames = ["NuGet.Config", "nuget.config", "NuGet.config"];

        public static IReadOnlyList<string> Of(string repositoryRoot, string project)
        {
            var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(repositoryRoot));
            var found = new SortedSet<string>(StringComparer.Ordinal);
            var pending = new Queue<string>([Path.GetFullPath(Path.Combine(root, project))]);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (pending.TryDequeue(out var projectPath))
            {
                if (!seen.Add(projectPath))
                {
                    continue;
                }

                var evaluation = new Evaluation(root, projectPath, found);
                var directory = Path.GetDirectoryName(projectPath)!;
                // In MSBuild's order: Directory.Build.props before the project body, Directory.Build.targets after.
                evaluation.ImportIfPresent(FindAbove(root, directory, "Directory.Build.props"));
                evaluation.ImportIfPresent(FindAbove(root, directory, "Directory.Packages.props"));
                foreach (var reference in evaluation.Import(projectPath))
                {
                    pending.Enqueue(reference);
                }

                evaluation.ImportIfPresent(FindAbove(root, directory, "Directory.Build.targets"));
                // NuGet merges every configuration file from the project's folder up to the root.
                for (var dir = directory; IsInside(root, dir); dir = Path.GetDirectoryName(dir)!)
                {
                    foreach (var name in NuGetConfigNames.Where(n => File.Exists(Path.Combine(dir, n))))
                    {
                        found.Add(Relative(root, Path.Combine(dir, name)));
                    }

                    if (dir == root)
                    {
                        break;
                    }
                }

                // The SDK the restore runs with is chosen by global.json.
                if (FindAbove(root, directory, "global.json") is { } globalJson)
                {
                    found.Add(Relative(root, globalJson));
                }
            }

            return [.. found];
        }

        private static string? FindAbove(string root, string directory, string name)
        {
            for (var dir = directory; IsInside(root, dir); dir = Path.GetDirectoryName(dir)!)
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }

                if (dir == root)
                {
                    break;
                }
            }

            return null;
        }

        private static bool IsInside(string root, string path) =>
            path == root || path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

        private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

        /// <summary>
        /// Just enough of MSBuild's evaluation to resolve the imports and project references the repository writes:
        /// properties set in order, <c>$(Name)</c> expansion, <c>$(MSBuildThisFileDirectory)</c>. An import or a
        /// reference that cannot be resolved fails the test rather than being skipped, so the walk never silently
        /// misses a file.
        /// </summary>
        private sealed partial class Evaluation(string root, string projectPath, ISet<string> found)
        {
            private readonly Dictionary<string, string> _properties = new(StringComparer.OrdinalIgnoreCase)
            {
                ["MSBuildProjectDirectory"] = Path.GetDirectoryName(projectPath)!,
                ["MSBuildProjectFullPath"] = projectPath,
                ["MSBuildProjectName"] = Path.GetFileNameWithoutExtension(projectPath),
            };

            public void ImportIfPresent(string? path)
            {
                if (path is not null)
                {
                    _ = Import(path);
                }
            }

            /// <summary>Reads one file (and, recursively, what it imports); returns the projects it references.</summary>
            public List<string> Import(string path)
            {
                found.Add(Relative(root, path));
                var references = new List<string>();
                var directory = Path.GetDirectoryName(path)!;
                foreach (var element in XDocument.Load(path).Root!.Descendants())
                {
                    switch (element.Name.LocalName)
                    {
                        case "Import" when element.Attribute("Project") is { } project:
                            foreach (var imported in Resolve(project.Value, path, directory))
                            {
                                if (IsInside(root, imported) && File.Exists(imported))
                                {
                                    references.AddRange(Import(imported));
                                }
                            }

                            break;
                        case "ProjectReference" when element.Attribute("Include") is { } include:
                            foreach (var referenced in Resolve(include.Value, path, Path.GetDirectoryName(projectPath)!))
                            {
                                Assert.True(File.Exists(referenced), $"{Relative(root, path)} references {include.Value}, which does not exist");
                                references.Add(referenced);
                            }

                            break;
                        case var name when element.Parent?.Name.LocalName == "PropertyGroup" && !element.HasElements:
                            if (TryExpand(element.Value, path, out var value))
                            {
                                _properties[name] = value;
                            }

                            break;
                    }
                }

                return references;
            }

            private IEnumerable<string> Resolve(string items, string file, string baseDirectory)
            {
                foreach (var item in items.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    Assert.True(
                        TryExpand(item, file, out var expanded) && !expanded.Contains('*', StringComparison.Ordinal),
                        $"{Relative(root, file)}: cannot resolve '{item}'; teach DockerfileTests.RestoreInputs this form");
                    yield return Path.GetFullPath(Path.Combine(baseDirectory, expanded.Replace('\\', '/')));
                }
            }

            private bool TryExpand(string text, string file, out string expanded)
            {
                var unresolved = false;
                expanded = PropertyReference().Replace(text, match =>
                {
                    var name = match.Groups["name"].Value;
                    if (name.Equals("MSBuildThisFileDirectory", StringComparison.OrdinalIgnoreCase))
                    {
                        return Path.GetDirectoryName(file) + Path.DirectorySeparatorChar;
                    }

                    if (_properties.TryGetValue(name, out var value))
                    {
                        return value;
                    }

                    unresolved = true;
                    return match.Value;
                });
                return !unresolved && !expanded.Contains("$(", StringComparison.Ordinal) && !expanded.Contains("@(", StringComparison.Ordinal);
            }

            [GeneratedRegex(@"\$\((?<name>[A-Za-z_][A-Za-z0-9_.-]*)\)", RegexOptions.CultureInvariant)]
            private static partial Regex PropertyReference();
        }
    }

    /// <summary>
    /// The COPY instructions of the build stage before its <c>dotnet restore</c> RUN, and where each copied file lands.
    /// Handles shell and JSON forms, line continuations, WORKDIR, files, folders and simple globs.
    /// </summary>
    internal sealed partial class RestoreLayer
    {
        private readonly List<(string Source, string Destination, bool IntoFolder)> _copies = [];
        private readonly string _root;
        private string _restoreWorkdir = "/";

        private RestoreLayer(string root) => _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

        public string RestoreCommand { get; private set; } = "";

        public static RestoreLayer Parse(string dockerfile, string repositoryRoot)
        {
            var layer = new RestoreLayer(repositoryRoot);
            var workdir = "/";
            foreach (var (instruction, arguments) in Instructions(dockerfile))
            {
                switch (instruction)
                {
                    case "FROM":
                        // A restore RUN counts with the COPYs of its own stage only.
                        workdir = "/";
                        layer._copies.Clear();
                        break;
                    case "WORKDIR":
                        workdir = Absolute(workdir, arguments.Trim());
                        break;
                    case "COPY" or "ADD":
                        layer.AddCopy(workdir, arguments);
                        break;
                    case "RUN" when arguments.Contains("dotnet restore", StringComparison.Ordinal):
                        layer.RestoreCommand = arguments.Trim();
                        layer._restoreWorkdir = workdir;
                        return layer;
                }
            }

            Assert.Fail("No RUN with `dotnet restore` in the Dockerfile: the restore layer is gone (then drop --no-restore from publish and this test)");
            return layer;
        }

        /// <summary>The given files that no COPY puts where the restore RUN reads them, each with the path it expects.</summary>
        public List<string> Missing(IEnumerable<string> files)
        {
            var missing = new List<string>();
            foreach (var file in files)
            {
                var expected = Absolute(_restoreWorkdir, file);
                if (!_copies.Exists(copy => Lands(copy, file) == expected))
                {
                    missing.Add($"{file} (at {expected})");
                }
            }

            return missing;
        }

        /// <summary>Where a repository file lands through one COPY source, or null when that source does not take it.</summary>
        private string? Lands((string Source, string Destination, bool IntoFolder) copy, string file)
        {
            var source = copy.Source.TrimStart('/');
            source = source is "." or "" ? "" : source.TrimEnd('/');
            if (source.IndexOfAny(['*', '?', '[']) >= 0)
            {
                // A glob copies each matching file into the destination folder, without the folders above it.
                return GlobToRegex(source).IsMatch(file) ? Absolute(copy.Destination, Path.GetFileName(file)) : null;
            }

            if (source.Length == 0 || Directory.Exists(Path.Combine(_root, source)))
            {
                // A folder copies its contents, not itself.
                var prefix = source.Length == 0 ? "" : source + "/";
                return file.StartsWith(prefix, StringComparison.Ordinal) ? Absolute(copy.Destination, file[prefix.Length..]) : null;
            }

            if (source != file)
            {
                return null;
            }

            return copy.IntoFolder ? Absolute(copy.Destination, Path.GetFileName(file)) : Absolute("/", copy.Destination);
        }

        private void AddCopy(string workdir, string arguments)
        {
            var words = arguments.TrimStart().StartsWith('[')
                ? JsonSerializer.Deserialize<List<string>>(arguments)!
                : [.. arguments.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
            var flags = words.TakeWhile(w => w.StartsWith("--", StringComparison.Ordinal)).ToList();
            if (flags.Exists(f => f.StartsWith("--from", StringComparison.Ordinal)))
            {
                // From another stage or image, not from the build context.
                return;
            }

            Assert.False(flags.Exists(f => f.StartsWith("--parents", StringComparison.Ordinal)), "COPY --parents: teach DockerfileTests.RestoreLayer");
            var paths = words.Skip(flags.Count).ToList();
            Assert.True(paths.Count >= 2, "COPY needs a source and a destination: " + arguments);
            var destination = paths[^1];
            // Several sources, or a destination ending in '/', make the destination a folder.
            var intoFolder = paths.Count > 2 || destination.EndsWith('/');
            foreach (var source in paths.SkipLast(1))
            {
                _copies.Add((source.StartsWith("./", StringComparison.Ordinal) ? source[2..] : source, Absolute(workdir, destination), intoFolder));
            }
        }

        /// <summary>Instructions with their arguments, continuation lines joined, comments and blank lines dropped.</summary>
        private static IEnumerable<(string Instruction, string Arguments)> Instructions(string dockerfile)
        {
            var logical = "";
            foreach (var raw in dockerfile.ReplaceLineEndings("\n").Split('\n'))
            {
                var line = raw.Trim();
                if (line.StartsWith('#'))
                {
                    continue;
                }

                if (line.EndsWith('\\'))
                {
                    logical += line[..^1] + " ";
                    continue;
                }

                logical += line;
                if (logical.Trim() is { Length: > 0 } instruction)
                {
                    var space = instruction.IndexOfAny([' ', '\t']);
                    yield return space < 0
                        ? (instruction.ToUpperInvariant(), "")
                        : (instruction[..space].ToUpperInvariant(), instruction[(space + 1)..]);
                }

                logical = "";
            }
        }

        private static string Absolute(string directory, string path)
        {
            var combined = path.StartsWith('/') ? path : directory.TrimEnd('/') + "/" + path;
            var parts = new List<string>();
            foreach (var part in combined.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "..")
                {
                    if (parts.Count > 0)
                    {
                        parts.RemoveAt(parts.Count - 1);
                    }
                }
                else if (part != ".")
                {
                    parts.Add(part);
                }
            }

            return "/" + string.Join('/', parts);
        }

        private static Regex GlobToRegex(string glob) =>
            new("^" + GlobWildcard().Replace(Regex.Escape(glob), m => m.Value == @"\*" ? "[^/]*" : "[^/]") + "$", RegexOptions.CultureInvariant);

        [GeneratedRegex(@"\\\*|\\\?", RegexOptions.CultureInvariant)]
        private static partial Regex GlobWildcard();
    }
}
