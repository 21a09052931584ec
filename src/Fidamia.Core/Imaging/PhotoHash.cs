using System.Numerics;

namespace Fidamia.Core.Imaging;

/// <summary>
/// A 64-bit difference hash (dHash) of a photo, from the model's input tensor: the channels summed, averaged into a 9x8
/// grid, one bit per horizontal neighbour pair (brighter or not). Near-identical photos (recompressed, rescaled, a
/// little cropped) differ in a few bits; different scenes in about half. Cheap: one pass over the tensor, which is
/// decoded anyway.
/// </summary>
public static class PhotoHash
{
    private const int Columns = 9;
    private const int Rows = 8;

    /// <param name="tensor">NCHW, 3 channels of <paramref name="spec"/>'s size.</param>
    public static ulong Of(ReadOnlySpan<float> tensor, TensorSpec spec)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tensor.Length, spec.Length, nameof(tensor));
        Span<double> cells = stackalloc double[Columns * Rows];
        cells.Clear();
        var plane = spec.Width * spec.Height;
        for (var y = 0; y < spec.Height; y++)
        {
            var row = y * Rows / spec.Height;
            for (var x = 0; x < spec.Width; x++)
            {
                var i = (y * spec.Width) + x;
                cells[(row * Columns) + (x * Columns / spec.Width)] += tensor[i] + tensor[plane + i] + tensor[(2 * plane) + i];
            }
        }

        // Cells of one row hold the same number of pixels give or take one column: compare means, not sums.
        Span<int> widths = stackalloc int[Columns];
        widths.Clear();
        for (var x = 0; x < spec.Width; x++)
        {
            widths[x * Columns / spec.Width]++;
        }

        ulong hash = 0;
        for (var row = 0; row < Rows; row++)
        {
            for (var column = 0; column < Columns - 1; column++)
            {
                var left = cells[(row * Columns) + column] / widths[column];
                var right = cells[(row * Columns) + column + 1] / widths[column + 1];
                hash = (hash << 1) | (left > right ? 1UL : 0UL);
            }
        }

        return hash;
    }

    /// <summary>Bits that differ: 0 for the same photo, about 32 for unrelated ones.</summary>
    public static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);
}
