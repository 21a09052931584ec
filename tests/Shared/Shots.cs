using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Fidamia.Tests;

/// <summary>Other shots of the scene of a photo, for what learns from photos (tests, and the memory benchmark).</summary>
internal static class Shots
{
    /// <summary>
    /// A shot drawn from <paramref name="seed"/>: a crop of 60-90 % at some offset, turned by up to 8 degrees, rescaled to
    /// 40-100 %, recompressed as JPEG at quality 60-90, without the original's EXIF.
    /// </summary>
    public static byte[] Of(string path, int seed)
    {
        var random = new Random(seed);
        using var image = Image.Load<Rgb24>(path);
        var keep = 0.6 + (0.3 * random.NextDouble());
        var (w, h) = ((int)(image.Width * keep), (int)(image.Height * keep));
        var (x0, y0) = (random.Next(image.Width - w + 1), random.Next(image.Height - h + 1));
        var scale = 0.4 + (0.6 * random.NextDouble());
        var degrees = (float)((random.NextDouble() * 16) - 8);
        image.Mutate(x => x
            .Crop(new Rectangle(x0, y0, w, h))
            .Rotate(degrees)
            .Resize(Math.Max(32, (int)(w * scale)), Math.Max(32, (int)(h * scale))));
        // Another shot, not this file's: none of its EXIF (leuvenA.jpg's GPS would put every shot in Belgium).
        image.Metadata.ExifProfile = null;
        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = 60 + random.Next(31) });
        return stream.ToArray();
    }
}
