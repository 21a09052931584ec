using System.CommandLine;
using Fidamia.Core.Reports;

namespace Fidamia.Cli.Bench;

/// <summary>Everything a bench run needs once its options are read and checked.</summary>
internal sealed record BenchSettings(
    IReadOnlyList<BenchPhoto> Photos, BenchPlan Plan, double Lat, double Lon, ReportChannel Channel, bool Json)
{
    /// <summary>How long the decode + inference floor is measured, before the levels and again after them; zero for not at all.</summary>
    public TimeSpan Floor { get; init; }
}

/// <summary>A photo read once into memory, sent again and again.</summary>
internal sealed record BenchPhoto(string Name, byte[] Bytes);

/// <summary>
/// The options both bench commands share. Values are taken as text and checked here, so that a bad one is a
/// usage error (exit 2) with a message naming the option, like every other check of the bench.
/// </summary>
internal sealed class BenchOptions
{
    public const int DefaultMaxRequests = 100_000;

    private static readonly TimeSpan MaxFloor = TimeSpan.FromMinutes(1);

    private static readonly string[] PhotoExtensions = [".jpg", ".jpeg", ".png", ".webp"];

    public BenchOptions(string defaultLevels)
    {
        Concurrency = new Option<string>("--concurrency") { Description = "Comma list of concurrency levels, measured in turn", DefaultValueFactory = _ => defaultLevels };
    }

    public Option<string?> Photos { get; } = new("--photos") { Description = "Folder of JPEG, PNG or WebP photos, sent round-robin" };

    public Option<string> Concurrency { get; }

    public Option<string> Duration { get; } = new("--duration") { Description = "Measured time per level: 20s, 500ms, 2m or seconds", DefaultValueFactory = _ => "20s" };

    public Option<string> Warmup { get; } = new("--warmup") { Description = "Unmeasured time before each level", DefaultValueFactory = _ => "2s" };

    public Option<string> MaxRequests { get; } = new("--max-requests") { Description = "Most requests per level (and per warm-up)", DefaultValueFactory = _ => DefaultMaxRequests.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public Option<string> Lat { get; } = new("--lat") { Description = "Declared latitude (by default Marseille, Vieux-Port)", DefaultValueFactory = _ => "43.2965" };

    public Option<string> Lon { get; } = new("--lon") { Description = "Declared longitude", DefaultValueFactory = _ => "5.3698" };

    public Option<string> Channel { get; } = CreateChannel();

    public Option<bool> Json { get; } = new("--json") { Description = "Print the results as one JSON document" };

    public Option<string> Floor { get; } = new("--floor")
    {
        Description = "How long to measure the floor (Skia's scaled decode + one model run at 1 thread, per photo) before the levels and again after; 0 for none",
        DefaultValueFactory = _ => "3s",
    };

    public IEnumerable<Option> All => [Photos, Concurrency, Duration, Warmup, MaxRequests, Lat, Lon, Channel, Json, Floor];

    public bool TryRead(ParseResult result, TextWriter error, out BenchSettings settings)
    {
        settings = null!;
        var problems = new List<string>();
        if (!BenchArguments.TryParseLevels(result.GetValue(Concurrency), out var levels))
        {
            problems.Add($"--concurrency must be a comma list of positive integers (e.g. 1,2,4,8), not '{result.GetValue(Concurrency)}'");
        }

        if (!BenchArguments.TryParseDuration(result.GetValue(Duration), out var duration) || duration <= TimeSpan.Zero)
        {
            problems.Add($"--duration must be a positive duration (20s, 500ms, 2m or seconds), not '{result.GetValue(Duration)}'");
        }

        if (!BenchArguments.TryParseDuration(result.GetValue(Warmup), out var warmup))
        {
            problems.Add($"--warmup must be a duration (0s, 2s, 500ms, 2m or seconds), not '{result.GetValue(Warmup)}'");
        }

        if (!BenchArguments.TryParsePositiveInt(result.GetValue(MaxRequests), out var maxRequests))
        {
            problems.Add($"--max-requests must be a positive integer, not '{result.GetValue(MaxRequests)}'");
        }

        if (!BenchArguments.TryParseCoordinate(result.GetValue(Lat), -90, 90, out var lat))
        {
            problems.Add($"--lat must be a latitude in degrees, not '{result.GetValue(Lat)}'");
        }

        if (!BenchArguments.TryParseCoordinate(result.GetValue(Lon), -180, 180, out var lon))
        {
            problems.Add($"--lon must be a longitude in degrees, not '{result.GetValue(Lon)}'");
        }

        if (!BenchArguments.TryParseDuration(result.GetValue(Floor), out var floor) || floor > MaxFloor)
        {
            problems.Add($"--floor must be a duration up to 1m (3s, 500ms, 0 for none), not '{result.GetValue(Floor)}'");
        }

        IReadOnlyList<BenchPhoto> photos = [];
        if (problems.Count == 0 && !TryLoadPhotos(result.GetValue(Photos), out photos, out var photoProblem))
        {
            problems.Add(photoProblem);
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                error.WriteLine("error: " + problem);
            }

            return false;
        }

        settings = new BenchSettings(
            photos, new BenchPlan(levels, duration, warmup, maxRequests), lat, lon, ParseChannel(result.GetValue(Channel)!), result.GetValue(Json))
        {
            Floor = floor,
        };
        return true;
    }

    /// <summary>Progress goes to a terminal only: redirected, stderr keeps to warnings and errors.</summary>
    public static TextWriter? Progress => Console.IsErrorRedirected ? null : Console.Error;

    public static int Finish(BenchReport report, bool json, CancellationToken cancellationToken)
    {
        Console.Out.WriteLine(json ? report.ToJson() : report.ToTable());
        if (cancellationToken.IsCancellationRequested)
        {
            return BenchCommand.ExitInterrupted;
        }

        return report.TotalOk > 0 ? 0 : BenchCommand.ExitNothingSucceeded;
    }

    private static bool TryLoadPhotos(string? folder, out IReadOnlyList<BenchPhoto> photos, out string problem)
    {
        photos = [];
        problem = "";
        if (string.IsNullOrEmpty(folder))
        {
            problem = "--photos is required: a folder of .jpg, .jpeg, .png or .webp photos";
            return false;
        }

        if (!Directory.Exists(folder))
        {
            problem = $"--photos {folder} is not a folder";
            return false;
        }

        // Sorted, so that two runs send the same photos in the same order.
        photos = Directory.EnumerateFiles(folder)
            .Where(f => PhotoExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(f => new BenchPhoto(Path.GetFileName(f), File.ReadAllBytes(f)))
            .ToList();
        if (photos.Count == 0)
        {
            problem = $"--photos {folder} holds no .jpg, .jpeg, .png or .webp file";
            return false;
        }

        return true;
    }

    private static Option<string> CreateChannel()
    {
        var channel = new Option<string>("--channel") { Description = "web, app, phone or agent", DefaultValueFactory = _ => "app" };
        channel.AcceptOnlyFromAmong("web", "app", "phone", "agent");
        return channel;
    }

    private static ReportChannel ParseChannel(string channel) => channel switch
    {
        "web" => ReportChannel.Web,
        "app" => ReportChannel.App,
        "phone" => ReportChannel.Phone,
        _ => ReportChannel.Agent,
    };
}
