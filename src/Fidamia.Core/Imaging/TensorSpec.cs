namespace Fidamia.Core.Imaging;

public enum ColorOrder
{
    Rgb,
    Bgr,
}

public enum ResizeMode
{
    /// <summary>Scale both axes to the input size, ignoring the aspect ratio.</summary>
    Stretch,

    /// <summary>Scale the shorter side to the input size, keep the aspect ratio, then crop the centre.</summary>
    CenterCrop,
}

/// <summary>
/// What a model expects as its single image input, in NCHW layout with a batch of one:
/// <c>value = (pixel * Scale - Mean[c]) / Std[c]</c>, channels in <see cref="ColorOrder"/>.
/// </summary>
public sealed record TensorSpec(
    int Width,
    int Height,
    ColorOrder ColorOrder,
    float Scale,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    ResizeMode ResizeMode)
{
    public int Length => 3 * Width * Height;
}
