using Fidamia.Core.Imaging;

namespace Fidamia.Cli.Model;

/// <summary>One photo as the model's input tensor, named by its path relative to the photo folder.</summary>
internal sealed record PhotoTensor(string Name, float[] Tensor);

/// <summary>The photos of a calibration folder (flat, or an ImageFolder with one subfolder per label) and their split.</summary>
internal static class CalibrationPhotos
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp"];

    /// <summary>Every photo under the folder, sorted by relative path so that two runs calibrate on the same split.</summary>
    public static IReadOnlyList<string> List(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Which of <paramref name="count"/> photos are held out: about <paramref name="fraction"/> of them, spread evenly over
    /// the sorted order (the last of every 1/fraction), at least one held out and one kept for calibration.
    /// </summary>
    public static bool[] HeldOut(int count, double fraction)
    {
        if (count < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "at least two photos are needed: one to calibrate on, one to hold out");
        }

        var heldOut = Math.Clamp((int)Math.Round(count * fraction, MidpointRounding.AwayFromZero), 1, count - 1);
        var split = new bool[count];
        for (var i = 0; i < count; i++)
        {
            // Photo i is held out when it crosses the next multiple of count/heldOut: evenly spread, no randomness.
            split[i] = (long)(i + 1) * heldOut / count > (long)i * heldOut / count;
        }

        return split;
    }

    public static float[] Decode(IPhotoDecoder decoder, string path, TensorSpec spec, CancellationToken cancellationToken)
    {
        var tensor = new float[spec.Length];
        decoder.DecodeInto(File.ReadAllBytes(path), spec, tensor, cancellationToken);
        return tensor;
    }
}
