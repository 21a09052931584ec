using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Fidamia.Benchmarks;

/// <summary>
/// Test photos made from the shared ones at setup, never committed: a 12 MP phone-like JPEG
/// (leuvenA upscaled to 4000x3000 with sensor-like noise so it compresses like a camera file,
/// 3.5-4.5 MB at quality 90) and a 1 MP JPEG (1280x960).
/// </summary>
internal static class BenchmarkPhotos
{
    public static string SharedData
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("FIDAMIA_SHARED_DATA");
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return fromEnvironment;
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data");
                if (Directory.Exists(Path.Combine(candidate, "photos")))
                {
                    return candidate;
                }
            }

            // BenchmarkDotNet runs benchmarks from a generated folder; the working directory is the repository's.
            return Path.GetFullPath(Path.Combine("..", "shared", "data"));
        }
    }

    public static bool Available => File.Exists(Path.Combine(SharedData, "photos", "leuvenA.jpg"));

    public static byte[] Phone12MP() => Make(4000, 3000, noise: 10);

    public static byte[] OneMP() => Make(1280, 960, noise: 0);

    private static byte[] Make(int width, int height, int noise)
    {
        using var image = Image.Load<Rgb24>(Path.Combine(SharedData, "photos", "leuvenA.jpg"));
        image.Mutate(x => x.Resize(width, height, KnownResamplers.Bicubic));
        if (noise > 0)
        {
            var random = new Random(12);
            image.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    foreach (ref var p in rows.GetRowSpan(y))
                    {
                        var n = random.Next(-noise, noise + 1);
                        p = new Rgb24(Clamp(p.R + n), Clamp(p.G + n), Clamp(p.B + n));
                    }
                }
            });
        }

        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = 90 });
        return stream.ToArray();
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
