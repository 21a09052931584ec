using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Fidamia.Core.Imaging;
using CoreResizeMode = Fidamia.Core.Imaging.ResizeMode;

namespace Fidamia.Imaging;

/// <summary>
/// RGBA pixels as Skia decoded them (stored orientation, possibly at a reduced scale). EXIF orientation is applied by
/// index mapping while resizing, so no rotated copy is made; the resize is the same separable triangle (bilinear)
/// filter ImageSharp applies, widened when downscaling, with the same CenterCrop geometry.
/// </summary>
internal sealed class SkiaDecodedPhoto : DecodedPhoto
{
    private const int BytesPerPixel = 4;

    // Floats per pixel in the resize's row buffer: R, G, B and alpha (filtered along, never read), one vector.
    private const int Channels = 4;

    private byte[]? _pixels;
    private readonly int _origin;
    private readonly int _stepX;
    private readonly int _stepY;

    /// <param name="rgba">Rented from <see cref="ArrayPool{T}.Shared"/>, possibly longer than the pixels; returned on dispose.</param>
    public SkiaDecodedPhoto(PhotoMetadata metadata, byte[] rgba, int storedWidth, int storedHeight, int orientation)
        : base(metadata)
    {
        _pixels = rgba;
        DecodedWidth = storedWidth;
        DecodedHeight = storedHeight;
        var swaps = orientation is >= 5 and <= 8;
        DisplayedWidth = swaps ? storedHeight : storedWidth;
        DisplayedHeight = swaps ? storedWidth : storedHeight;

        // Stored pixel index of displayed (x, y) = origin + x * stepX + y * stepY, for each EXIF orientation.
        var w = storedWidth;
        var h = storedHeight;
        (_origin, _stepX, _stepY) = orientation switch
        {
            2 => (w - 1, -1, w),
            3 => (((h - 1) * w) + w - 1, -1, -w),
            4 => ((h - 1) * w, 1, -w),
            5 => (0, w, 1),
            6 => ((h - 1) * w, -w, 1),
            7 => (((h - 1) * w) + w - 1, -w, -1),
            8 => (w - 1, w, -1),
            _ => (0, 1, w),
        };
    }

    /// <summary>Size the codec decoded to, in stored axes (tests check the DCT scale chosen).</summary>
    internal int DecodedWidth { get; }

    internal int DecodedHeight { get; }

    internal int DisplayedWidth { get; }

    internal int DisplayedHeight { get; }

    public override void WriteTensor(TensorSpec spec, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ObjectDisposedException.ThrowIf(_pixels is null, this);
        ImageSharpDecodedPhoto.Validate(spec, destination);
        Resize(spec, new TensorPlanes(spec, destination));
    }

    /// <summary>
    /// The resize alone, into <paramref name="rgb"/> (interleaved R, G, B per pixel, rounded to whole levels, row
    /// after row), for the stage benchmarks; <see cref="WriteTensor"/> normalises in the same pass instead.
    /// </summary>
    internal void Resize(TensorSpec spec, Span<float> rgb)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ObjectDisposedException.ThrowIf(_pixels is null, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(rgb.Length, spec.Width * spec.Height * 3, nameof(rgb));
        Resize(spec, new InterleavedRgb(rgb));
    }

    /// <summary>
    /// Generic over the sink so the tensor path keeps writing each pixel straight into the planes (the JIT
    /// specialises per struct sink, so no per-pixel indirection), while the resize can still be timed alone.
    /// </summary>
    private void Resize<TSink>(TensorSpec spec, TSink sink)
        where TSink : IPixelSink, allows ref struct
    {
        var pixels = _pixels!;
        int sourceWidth = DisplayedWidth, sourceHeight = DisplayedHeight;
        double scaleX, scaleY, offsetX = 0, offsetY = 0;
        if (spec.ResizeMode == CoreResizeMode.CenterCrop)
        {
            // Scale until the target is covered, then take the centre, as ImageSharp's ResizeMode.Crop does.
            // ImageSharp resizes to a whole-pixel rectangle (ceiling of the scaled size) placed at a rounded offset.
            var ratio = Math.Max((double)spec.Width / sourceWidth, (double)spec.Height / sourceHeight);
            (scaleX, offsetX) = CropAxis(sourceWidth, spec.Width, ratio);
            (scaleY, offsetY) = CropAxis(sourceHeight, spec.Height, ratio);
        }
        else
        {
            scaleX = (double)spec.Width / sourceWidth;
            scaleY = (double)spec.Height / sourceHeight;
        }

        var columns = Kernel.Build(sourceWidth, spec.Width, scaleX, offsetX);
        var rows = Kernel.Build(sourceHeight, spec.Height, scaleY, offsetY);
        var firstRow = rows.MinIndex;
        var rowCount = rows.MaxIndex - firstRow + 1;
        CheckInBounds(pixels, columns, rows);

        // Horizontal pass over the rows the vertical pass reads, into RGBA floats (a pixel per 128-bit vector).
        var rowLength = spec.Width * Channels;
        var buffer = ArrayPool<float>.Shared.Rent(rowCount * rowLength);
        try
        {
            ref var source = ref MemoryMarshal.GetArrayDataReference(pixels);
            ref var horizontal = ref MemoryMarshal.GetArrayDataReference(buffer);
            for (var r = 0; r < rowCount; r++)
            {
                var rowOrigin = _origin + ((firstRow + r) * _stepY);
                ref var output = ref Unsafe.Add(ref horizontal, r * rowLength);
                for (var x = 0; x < spec.Width; x++)
                {
                    var weights = columns.Weights(x);
                    var index = rowOrigin + (columns.Start[x] * _stepX);
                    var sum = Vector128<float>.Zero;
                    foreach (var weight in weights)
                    {
                        // In bounds: CheckInBounds proved every index the kernels reach, once for the whole photo.
                        sum += Pixel(ref source, index) * weight;
                        index += _stepX;
                    }

                    sum.StoreUnsafe(ref output, (nuint)(x * Channels));
                }
            }

            VerticalPass(buffer, rows, firstRow, spec, sink);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The resize reads the pixels without a bounds check per tap: every index it can reach is checked here, once. A
    /// displayed (x, y) maps to a stored index affinely, so the extremes are at the corners of the rows and columns
    /// the kernels read.
    /// </summary>
    private void CheckInBounds(byte[] pixels, Kernel columns, Kernel rows)
    {
        var storedPixels = (long)DecodedWidth * DecodedHeight;
        var inside = columns.MinIndex >= 0 && columns.MaxIndex < DisplayedWidth
            && rows.MinIndex >= 0 && rows.MaxIndex < DisplayedHeight
            && storedPixels * BytesPerPixel <= pixels.Length;
        foreach (var x in (ReadOnlySpan<int>)[columns.MinIndex, columns.MaxIndex])
        {
            foreach (var y in (ReadOnlySpan<int>)[rows.MinIndex, rows.MaxIndex])
            {
                var index = _origin + ((long)x * _stepX) + ((long)y * _stepY);
                inside &= index >= 0 && index < storedPixels;
            }
        }

        if (!inside)
        {
            throw new InvalidOperationException("the resize kernels reach outside the decoded pixels");
        }
    }

    /// <summary>The RGBA pixel at a stored index as four floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Pixel(ref byte pixels, int index)
    {
        var rgba = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref pixels, index * BytesPerPixel));
        var bytes = Vector128.CreateScalarUnsafe(rgba).AsByte();
        return Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32());
    }

    private static (double Scale, double Offset) CropAxis(int source, int target, double ratio)
    {
        var scaled = (int)Math.Ceiling((source * ratio) - 1e-9);
        if (scaled <= target)
        {
            return ((double)target / source, 0);
        }

        var start = (int)Math.Round((target - (source * ratio)) / 2);
        var scale = (double)scaled / source;
        return (scale, -start / scale);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _pixels is { } pixels)
        {
            _pixels = null;
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    /// <summary>Vertical pass, each output pixel handed to the sink (the tensor's planes, or a plain RGB buffer).</summary>
    private static void VerticalPass<TSink>(float[] horizontal, Kernel rows, int firstRow, TensorSpec spec, TSink sink)
        where TSink : IPixelSink, allows ref struct
    {
        var rowLength = spec.Width * Channels;
        var white = Vector128.Create(255f);
        ref var buffer = ref MemoryMarshal.GetArrayDataReference(horizontal);
        for (var y = 0; y < spec.Height; y++)
        {
            var weights = rows.Weights(y);
            // The kernel's rows are those the horizontal pass filled: within the buffer.
            ref var first = ref Unsafe.Add(ref buffer, (rows.Start[y] - firstRow) * rowLength);
            var offset = y * spec.Width;
            for (var x = 0; x < spec.Width; x++)
            {
                var sum = Vector128<float>.Zero;
                var index = (nuint)(x * Channels);
                foreach (var weight in weights)
                {
                    sum += Vector128.LoadUnsafe(ref first, index) * weight;
                    index += (nuint)rowLength;
                }

                // Rounded to whole levels like ImageSharp's 8-bit result, so both paths feed the model alike.
                var level = Vector128.Round(Vector128.Min(Vector128.Max(sum, Vector128<float>.Zero), white));
                sink.Write(offset + x, level.GetElement(0), level.GetElement(1), level.GetElement(2));
            }
        }
    }

    /// <summary>The resized pixels as they are, interleaved RGB.</summary>
    private readonly ref struct InterleavedRgb(Span<float> rgb) : IPixelSink
    {
        private readonly Span<float> _rgb = rgb;

        public void Write(int index, float red, float green, float blue)
        {
            _rgb[3 * index] = red;
            _rgb[(3 * index) + 1] = green;
            _rgb[(3 * index) + 2] = blue;
        }
    }

    /// <summary>Triangle-filter taps for one axis: for each output sample, a run of source indices and normalised weights.</summary>
    private sealed class Kernel
    {
        private readonly float[] _weights;
        private readonly int[] _counts;
        private readonly int _stride;

        private Kernel(int[] start, int[] counts, float[] weights, int stride)
        {
            Start = start;
            _counts = counts;
            _weights = weights;
            _stride = stride;
            MinIndex = int.MaxValue;
            MaxIndex = int.MinValue;
            for (var i = 0; i < start.Length; i++)
            {
                MinIndex = Math.Min(MinIndex, start[i]);
                MaxIndex = Math.Max(MaxIndex, start[i] + counts[i] - 1);
            }
        }

        public int[] Start { get; }

        public int MinIndex { get; }

        public int MaxIndex { get; }

        public ReadOnlySpan<float> Weights(int i) => _weights.AsSpan(i * _stride, _counts[i]);

        /// <param name="sourceLength">Source samples on this axis.</param>
        /// <param name="outputLength">Output samples.</param>
        /// <param name="scale">Output samples per source sample.</param>
        /// <param name="offset">Source coordinate where the output window starts (the crop's edge).</param>
        public static Kernel Build(int sourceLength, int outputLength, double scale, double offset)
        {
            // Like ImageSharp (and PIL): when downscaling, the unit triangle widens to cover 1/scale source samples.
            var support = Math.Max(1.0, 1.0 / scale);
            var stride = (int)Math.Ceiling(2 * support) + 2;
            var start = new int[outputLength];
            var counts = new int[outputLength];
            var weights = new float[outputLength * stride];

            for (var i = 0; i < outputLength; i++)
            {
                var centre = offset + ((i + 0.5) / scale) - 0.5;
                var left = Math.Max(0, (int)Math.Ceiling(centre - support));
                var right = Math.Min(sourceLength - 1, (int)Math.Floor(centre + support));
                if (right - left + 1 > stride)
                {
                    right = left + stride - 1;
                }

                double sum = 0;
                for (var j = left; j <= right; j++)
                {
                    sum += Math.Max(0, 1 - (Math.Abs(j - centre) / support));
                }

                if (right < left || sum <= 0)
                {
                    // Centre outside the image (a sliver at the edge): the nearest source sample.
                    left = right = Math.Clamp((int)Math.Round(centre), 0, sourceLength - 1);
                    start[i] = left;
                    counts[i] = 1;
                    weights[i * stride] = 1f;
                    continue;
                }

                start[i] = left;
                counts[i] = right - left + 1;
                for (var j = left; j <= right; j++)
                {
                    weights[(i * stride) + j - left] = (float)(Math.Max(0, 1 - (Math.Abs(j - centre) / support)) / sum);
                }
            }

            return new Kernel(start, counts, weights, stride);
        }
    }
}
