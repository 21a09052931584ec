using Fidamia.Core.Imaging;

namespace Fidamia.Imaging;

/// <summary>
/// Writes pixels into an NCHW tensor as a <see cref="TensorSpec"/> says: channel planes in its colour order, and
/// <c>(value * Scale - Mean[plane]) / Std[plane]</c> verbatim (no precomputed reciprocal), so every decoder feeds the
/// model bit-identical values for identical pixels.
/// </summary>
internal readonly ref struct TensorPlanes : IPixelSink
{
    private readonly Span<float> _red;
    private readonly Span<float> _green;
    private readonly Span<float> _blue;
    private readonly float _scale;
    private readonly float _redMean;
    private readonly float _greenMean;
    private readonly float _blueMean;
    private readonly float _redStd;
    private readonly float _greenStd;
    private readonly float _blueStd;

    public TensorPlanes(TensorSpec spec, Span<float> destination)
    {
        var planeLength = spec.Width * spec.Height;
        var redPlane = spec.ColorOrder == ColorOrder.Bgr ? 2 : 0;
        const int greenPlane = 1;
        var bluePlane = 2 - redPlane;
        _red = destination.Slice(redPlane * planeLength, planeLength);
        _green = destination.Slice(greenPlane * planeLength, planeLength);
        _blue = destination.Slice(bluePlane * planeLength, planeLength);
        _scale = spec.Scale;
        _redMean = spec.Mean[redPlane];
        _greenMean = spec.Mean[greenPlane];
        _blueMean = spec.Mean[bluePlane];
        _redStd = spec.Std[redPlane];
        _greenStd = spec.Std[greenPlane];
        _blueStd = spec.Std[bluePlane];
    }

    /// <param name="index">The pixel's position in a plane: <c>y * width + x</c>.</param>
    public void Write(int index, float red, float green, float blue)
    {
        _red[index] = (red * _scale - _redMean) / _redStd;
        _green[index] = (green * _scale - _greenMean) / _greenStd;
        _blue[index] = (blue * _scale - _blueMean) / _blueStd;
    }
}

/// <summary>Where a resize hands each output pixel: the tensor's planes in the service, a plain buffer in the stage benchmarks.</summary>
internal interface IPixelSink
{
    /// <param name="index">The pixel's position in the output: <c>y * width + x</c>.</param>
    void Write(int index, float red, float green, float blue);
}
