using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Fidamia.Tests;
using Microsoft.Extensions.Configuration;

namespace Fidamia.UnitTests.Docs;

/// <summary>
/// <c>docs/configuration.md</c> is generated here from the options classes (every class with a <c>SectionName</c>):
/// each key, its default (the class's, under the shipped appsettings.json) and its meaning (the property's summary in
/// the source). The test fails when the file is not what the code says; <c>FIDAMIA_WRITE_DOCS=1</c> rewrites it.
/// </summary>
public partial class ConfigurationReferenceTests
{
    private static readonly Assembly[] Assemblies =
    [
        typeof(global::Fidamia.Core.TriageOptions).Assembly, typeof(global::Fidamia.Imaging.ImagingOptions).Assembly, typeof(global::Fidamia.Inference.InferenceOptions).Assembly,
        typeof(global::Fidamia.Gis.GisOptions).Assembly, typeof(global::Fidamia.Routing.RoutingOptions).Assembly, typeof(global::Fidamia.Storage.StorageOptions).Assembly,
        typeof(global::Fidamia.Security.AuthOptions).Assembly, typeof(global::Fidamia.Server.ServerOptions).Assembly,
    ];

    private static string DocPath => Path.Combine(SharedData.RepositoryRoot, "docs", "configuration.md");

    [Fact]
    public void TheReference_IsWhatTheOptionsClassesSay()
    {
        var generated = Render();
        if (Environment.GetEnvironmentVariable("FIDAMIA_WRITE_DOCS") == "1")
        {
            File.WriteAllText(DocPath, generated);
        }

        var written = File.Exists(DocPath) ? File.ReadAllText(DocPath).ReplaceLineEndings("\n") : "";
        Assert.True(
            written == generated,
            $"{DocPath} is not what the options classes say; regenerate it: FIDAMIA_WRITE_DOCS=1 dotnet test tests/Fidamia.UnitTests --filter ConfigurationReference");
    }

    [Fact]
    public void EverySectionIsFound_AndEverySettingHasAMeaning()
    {
        var sections = OptionTypes().ToList();
        var rows = sections.SelectMany(s => Rows(s.Section, s.Type, Defaults(s.Section, s.Type))).ToList();

        Assert.True(sections.Count >= 16, string.Join(", ", sections.Select(s => s.Section)));
        Assert.Equal(sections.Count, sections.Select(s => s.Section).Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(rows.Where(r => r.Meaning.Length == 0 || r.Meaning.StartsWith(' ')).Select(r => r.Key));
        Assert.Empty(sections.Where(s => string.IsNullOrEmpty(Summary(s.Type, null))).Select(s => s.Section));
    }

    private static IEnumerable<(string Section, Type Type)> OptionTypes() =>
        Assemblies.SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string) && !x.Type.IsAbstract)
            .Select(x => ((string)x.Field!.GetRawConstantValue()!, x.Type))
            .OrderBy(x => x.Item1, StringComparer.Ordinal);

    /// <summary>The class's defaults under the shipped appsettings.json: what the service gets with no setting of its own.</summary>
    private static object Defaults(string section, Type type)
    {
        var shipped = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(SharedData.RepositoryRoot, "src", "Fidamia.Server", "appsettings.json"))
            .Build();
        var instance = Activator.CreateInstance(type)!;
        shipped.GetSection(section).Bind(instance);
        return instance;
    }

    private static string Render()
    {
        var shipped = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(SharedData.RepositoryRoot, "src", "Fidamia.Server", "appsettings.json"))
            .Build();
        var text = new StringBuilder();
        text.Append("""
            # Configuration reference

            Generated from the options classes by `tests/Fidamia.UnitTests/Docs/ConfigurationReferenceTests.cs`, which fails
            when this file and the code disagree (`FIDAMIA_WRITE_DOCS=1 dotnet test tests/Fidamia.UnitTests --filter
            ConfigurationReference` rewrites it). Defaults are the service's with no setting of its own (the classes'
            defaults under the shipped `appsettings.json`).

            Every key can be given in `appsettings.json`, as an environment variable (sections joined by `__`:
            `Storage__Provider=Postgres`) or as an argument (`--Storage:Provider=Postgres`). Everything is checked at start;
            a wrong value stops the service with a message naming the key. Durations are `hh:mm:ss` (`d.hh:mm:ss` for days).

            ## Host

            | key | default | meaning |
            |---|---|---|

            """.Replace("\r", "", StringComparison.Ordinal));
        text.Append(CultureInfo.InvariantCulture, $"| `Kestrel:Endpoints:Grpc:Url` | `{shipped["Kestrel:Endpoints:Grpc:Url"]}` | The gRPC endpoint (HTTP/2 without TLS: h2c). |\n");
        text.Append(CultureInfo.InvariantCulture, $"| `Kestrel:Endpoints:Http:Url` | `{shipped["Kestrel:Endpoints:Http:Url"]}` | The HTTP/1.1 endpoint: `/healthz`, `/readyz`, `/metrics`. |\n");
        text.Append(CultureInfo.InvariantCulture, $"| `DataDirectory` | `{shipped["DataDirectory"]}` | The service's state: the SQLite database, the photos, the prototype memory, the development key. Relative paths resolve from the current directory. |\n");
        text.Append("| `Logging:LogLevel:Default` | `Information` | `Debug` adds stack traces to start-up failures. |\n");
        text.Append("| `Logging:Console:FormatterName` | `simple` (`json` in the container) | `json`: one JSON object per line, with the trace and span ids of the call. |\n");
        text.Append("| `ASPNETCORE_ENVIRONMENT` | `Production` (`Development` under `dotnet run`) | The development signing key is refused in `Production`. |\n");
        text.Append("| `OTEL_EXPORTER_OTLP_ENDPOINT` | unset | Exports traces and metrics over OTLP when set (with the other standard `OTEL_*` variables). |\n");

        foreach (var (section, type) in OptionTypes())
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## {section}\n\n");
            if (Summary(type, null) is { Length: > 0 } about)
            {
                text.Append(about).Append("\n\n");
            }

            text.Append("| key | default | meaning |\n|---|---|---|\n");
            foreach (var row in Rows(section, type, Defaults(section, type)))
            {
                text.Append(CultureInfo.InvariantCulture, $"| `{row.Key}` | {row.Default} | {row.Meaning} |\n");
            }
        }

        return text.ToString();
    }

    private static IEnumerable<(string Key, string Default, string Meaning)> Rows(string prefix, Type type, object? defaults)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0))
        {
            var key = $"{prefix}:{property.Name}";
            var value = defaults is null ? null : property.GetValue(defaults);
            var meaning = Summary(type, property.Name) ?? "";
            var propertyType = property.PropertyType;
            if (IsSimple(propertyType))
            {
                yield return (key, Format(value), meaning + Choices(propertyType));
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var entries = new List<string>();
                if (value is IDictionary dictionary)
                {
                    var walk = dictionary.GetEnumerator();
                    while (walk.MoveNext())
                    {
                        entries.Add($"{walk.Key} = {Format(walk.Value)}");
                    }
                }

                entries.Sort(StringComparer.Ordinal);
                yield return ($"{key}:<name>", entries.Count == 0 ? "none" : string.Join(", ", entries), meaning);
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(List<>))
            {
                var item = propertyType.GetGenericArguments()[0];
                var count = ((IList?)value)?.Count ?? 0;
                yield return ($"{key}:<n>", count == 0 ? "none" : $"{count} entries", meaning);
                foreach (var row in Rows($"{key}:<n>", item, Activator.CreateInstance(item)))
                {
                    yield return row;
                }
            }
            else
            {
                foreach (var row in Rows(key, propertyType, value))
                {
                    yield return row;
                }
            }
        }
    }

    private static bool IsSimple(Type type)
    {
        var bare = Nullable.GetUnderlyingType(type) ?? type;
        return bare.IsPrimitive || bare.IsEnum || bare == typeof(string) || bare == typeof(TimeSpan) || bare == typeof(decimal)
            || (bare.IsArray && IsSimple(bare.GetElementType()!));
    }

    private static string Choices(Type type)
    {
        var bare = Nullable.GetUnderlyingType(type) ?? type;
        return bare.IsEnum ? $" One of: {string.Join(", ", Enum.GetNames(bare).Select(n => $"`{n}`"))}." : "";
    }

    private static string Format(object? value) => value switch
    {
        null => "unset",
        string { Length: 0 } => "unset",
        string s => $"`{s}`",
        bool b => b ? "`true`" : "`false`",
        TimeSpan t => $"`{t.ToString("c", CultureInfo.InvariantCulture)}`",
        Array { Length: 0 } => "none",
        Array a => string.Join(", ", a.Cast<object>().Select(Format)),
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        _ => $"`{value}`",
    };

    /// <summary>The summary of <paramref name="member"/> (or of the type when null), from its source file, as one line of Markdown.</summary>
    private static string? Summary(Type type, string? member)
    {
        var source = SourceOf(type);
        if (source is null)
        {
            return null;
        }

        var declaration = member is null
            ? $@"(?:class|record)\s+{Regex.Escape(type.Name)}\b"
            : $@"public\s+[^\n;=]*?\b{Regex.Escape(member)}\s*\{{\s*get;";
        // A member is looked for from its class's declaration on: one file may declare several classes.
        var start = member is null ? 0 : Regex.Match(source, $@"\b(?:class|record)\s+{Regex.Escape(type.Name)}\b").Index;
        var match = new Regex($@"((?:[ \t]*///[^\n]*\n)+)(?:[ \t]*\[[^\n]*\]\s*\n)*[ \t]*(?:public\s+)?(?:sealed\s+|static\s+|partial\s+)*{declaration}")
            .Match(source, start);
        if (!match.Success)
        {
            return null;
        }

        var xml = string.Join(' ', match.Groups[1].Value.Split('\n').Select(l => l.Trim().TrimStart('/').Trim()));
        var summary = SummaryRegex().Match(xml) is { Success: true } s ? s.Groups[1].Value : "";
        summary = CodeRegex().Replace(summary, "`$1`");
        summary = SeeRegex().Replace(summary, m => $"`{m.Groups[1].Value}`");
        summary = TagRegex().Replace(summary, "");
        summary = System.Net.WebUtility.HtmlDecode(summary);
        return SpacesRegex().Replace(summary, " ").Replace("|", "\\|", StringComparison.Ordinal).Trim();
    }

    private static readonly Dictionary<Type, string?> Sources = [];

    private static string? SourceOf(Type type)
    {
        lock (Sources)
        {
            if (!Sources.TryGetValue(type, out var source))
            {
                var pattern = new Regex($@"\b(?:class|record)\s+{Regex.Escape(type.Name)}\b");
                var file = Directory.EnumerateFiles(Path.Combine(SharedData.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
                    .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                    .FirstOrDefault(f => pattern.IsMatch(File.ReadAllText(f)));
                source = file is null ? null : File.ReadAllText(file).ReplaceLineEndings("\n");
                Sources[type] = source;
            }

            return source;
        }
    }

    [GeneratedRegex(@"<summary>(.*?)</summary>")]
    private static partial Regex SummaryRegex();

    [GeneratedRegex(@"<c>(.*?)</c>")]
    private static partial Regex CodeRegex();

    [GeneratedRegex(@"<(?:see|seealso)\s+(?:cref|langword|href)=""([^""]*)""\s*/>")]
    private static partial Regex SeeRegex();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"\s+")]
    private static partial Regex SpacesRegex();
}
