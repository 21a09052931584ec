using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Fidamia.Imaging;

/// <summary>
/// A confusion matrix as a PNG a person can read: one row per true label, one column per predicted label, each cell
/// shaded by its share of the row (white to blue) with its count written in it, the labels beside the rows and above
/// the columns. Text is drawn from a small built-in bitmap font, so no font file or drawing library is needed.
/// </summary>
public static class ConfusionChart
{
    private const int Cell = 44;
    private const int Scale = 2; // font pixels per glyph pixel
    private const int GlyphWidth = 6 * Scale;

    public static byte[] Render(IReadOnlyList<string> labels, int[,] counts, string title)
    {
        var n = labels.Count;
        var margin = (labels.Max(l => l.Length) * GlyphWidth) + 16;
        var top = margin + (9 * Scale * 2);
        using var image = new Image<Rgb24>(margin + (n * Cell) + 8, top + (n * Cell) + 8, new Rgb24(255, 255, 255));
        Text(image, title, 8, 8, new Rgb24(0, 0, 0));
        for (var t = 0; t < n; t++)
        {
            var rowTotal = Enumerable.Range(0, n).Sum(p => counts[t, p]);
            Text(image, labels[t], 8, top + (t * Cell) + ((Cell - (7 * Scale)) / 2), new Rgb24(0, 0, 0));
            for (var p = 0; p < n; p++)
            {
                var share = rowTotal > 0 ? counts[t, p] / (double)rowTotal : 0;
                var shade = new Rgb24((byte)(255 - (share * 225)), (byte)(255 - (share * 155)), 255);
                var (x, y) = (margin + (p * Cell), top + (t * Cell));
                Fill(image, x + 1, y + 1, Cell - 2, Cell - 2, t == p ? Blend(shade, new Rgb24(190, 255, 190)) : shade);
                var text = counts[t, p].ToString(System.Globalization.CultureInfo.InvariantCulture);
                Text(image, text, x + ((Cell - (text.Length * GlyphWidth)) / 2), y + ((Cell - (7 * Scale)) / 2), share > 0.5 ? new Rgb24(255, 255, 255) : new Rgb24(0, 0, 0));
            }
        }

        // Column labels, written downwards one character under the other so that long codes fit the cell width.
        for (var p = 0; p < n; p++)
        {
            var label = labels[p].Length > (top - 24) / (8 * Scale) ? labels[p][..((top - 24) / (8 * Scale))] : labels[p];
            for (var c = 0; c < label.Length; c++)
            {
                Text(image, label[c].ToString(), margin + (p * Cell) + ((Cell - GlyphWidth) / 2), 24 + (c * 8 * Scale), new Rgb24(0, 0, 0));
            }
        }

        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    private static Rgb24 Blend(Rgb24 a, Rgb24 b) => new((byte)((a.R + b.R) / 2), (byte)((a.G + b.G) / 2), (byte)((a.B + b.B) / 2));

    private static void Fill(Image<Rgb24> image, int x, int y, int width, int height, Rgb24 colour)
    {
        for (var j = Math.Max(0, y); j < Math.Min(image.Height, y + height); j++)
        {
            for (var i = Math.Max(0, x); i < Math.Min(image.Width, x + width); i++)
            {
                image[i, j] = colour;
            }
        }
    }

    private static void Text(Image<Rgb24> image, string text, int x, int y, Rgb24 colour)
    {
        foreach (var character in text.ToUpperInvariant())
        {
            if (Glyphs.TryGetValue(character, out var rows) || Glyphs.TryGetValue('?', out rows))
            {
                for (var row = 0; row < rows.Length; row++)
                {
                    for (var column = 0; column < rows[row].Length; column++)
                    {
                        if (rows[row][column] == '#')
                        {
                            Fill(image, x + (column * Scale), y + (row * Scale), Scale, Scale, colour);
                        }
                    }
                }
            }

            x += GlyphWidth;
        }
    }

    // 5 x 7 glyphs: upper-case letters, digits and the signs label codes and titles use.
    private static readonly Dictionary<char, string[]> Glyphs = new()
    {
        ['A'] = [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
        ['B'] = ["####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."],
        ['C'] = [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
        ['D'] = ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."],
        ['E'] = ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
        ['F'] = ["#####", "#....", "#....", "####.", "#....", "#....", "#...."],
        ['G'] = [".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"],
        ['H'] = ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
        ['I'] = [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['J'] = ["..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."],
        ['K'] = ["#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"],
        ['L'] = ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
        ['M'] = ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
        ['N'] = ["#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"],
        ['O'] = [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        ['P'] = ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."],
        ['Q'] = [".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"],
        ['R'] = ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
        ['S'] = [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
        ['T'] = ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
        ['U'] = ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        ['V'] = ["#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
        ['W'] = ["#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."],
        ['X'] = ["#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"],
        ['Y'] = ["#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."],
        ['Z'] = ["#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"],
        ['0'] = [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
        ['1'] = ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['2'] = [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
        ['3'] = ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
        ['4'] = ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
        ['5'] = ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
        ['6'] = ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
        ['7'] = ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
        ['8'] = [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
        ['9'] = [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
        ['_'] = [".....", ".....", ".....", ".....", ".....", ".....", "#####"],
        ['-'] = [".....", ".....", ".....", "#####", ".....", ".....", "....."],
        ['.'] = [".....", ".....", ".....", ".....", ".....", ".##..", ".##.."],
        [':'] = [".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."],
        ['/'] = ["....#", "....#", "...#.", "..#..", ".#...", "#....", "#...."],
        ['('] = ["...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."],
        [')'] = [".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."],
        ['%'] = ["##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"],
        [','] = [".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."],
        ['?'] = [".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."],
        [' '] = [".....", ".....", ".....", ".....", ".....", ".....", "....."],
    };
}
