namespace Fidamia.Tests;

/// <summary>
/// The project's shared data (real photos, real GIS layers) lives beside the repository in
/// ../shared/data and is never copied into it. Tests that need it skip with a clear message when it is absent.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    public static string? Directory => Root.Value;

    public static bool IsAvailable => Root.Value is not null;

    public const string SkipReason = "../shared/data is absent (set FIDAMIA_SHARED_DATA to its path to run this test)";

    public static string Photo(string name) => Path.Combine(Require(), "photos", name);

    public static string Gis(string name) => Path.Combine(Require(), "gis", name);

    public static string PhotosDirectory => Path.Combine(Require(), "photos");

    /// <summary>The repository root (the folder holding Fidamia.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Fidamia.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Fidamia.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static string Require() => Root.Value ?? throw new InvalidOperationException(SkipReason);

    private static string? FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("FIDAMIA_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return System.IO.Directory.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (System.IO.Directory.Exists(Path.Combine(candidate, "photos")))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A fact that needs ../shared/data; skipped, with the reason, when it is absent.</summary>
internal sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (!SharedData.IsAvailable)
        {
            Skip = SharedData.SkipReason;
        }
    }
}

/// <summary>A theory that needs ../shared/data; skipped, with the reason, when it is absent.</summary>
internal sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute()
    {
        if (!SharedData.IsAvailable)
        {
            Skip = SharedData.SkipReason;
        }
    }
}
