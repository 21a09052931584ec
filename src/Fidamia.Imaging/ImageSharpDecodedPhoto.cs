using Fidamia.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using CoreResizeMode = Fidamia.Core.Imaging.ResizeMode;
using SharpResizeMode = SixLabors.ImageSharp.Processing.ResizeMode;

namespace Fidamia.Imaging;

/// <summary>An upright, decoded photo; owns its pooled pixel buffers until disposed.</summary>
internal sealed class ImageSharpDecodedPhoto : DecodedPhoto
{
    private Image<Rgb24>? _image;

    public ImageSharpDecodedPhoto(PhotoMetadata metadata, Image<Rgb24> image)
        : base(metadata)
    {
        _image = image;
    }

    public override void WriteTensor(TensorSpec spec, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ObjectDisposedException.ThrowIf(_image is null, this);
        Validate(spec, destination);

        if (_image.Width == spec.Width && _image.Height == spec.Height)
        {
            WritePlanes(_image, spec, destination);
            return;
        }

        using var resized = Resize(spec);
        WritePlanes(resized, spec, destination);
    }

    /// <summary>
    /// Resizes into a clone rather than in place, so the photo can be written for several models; the clone is
    /// built directly at the target size, so it costs the small target buffer, not a copy of the photo.
    /// Apart from <see cref="WriteTensor"/> so the stage benchmarks can time the resize alone; the caller disposes the clone.
    /// </summary>
    internal Image<Rgb24> Resize(TensorSpec spec)
    {
        ObjectDisposedException.ThrowIf(_image is null, this);
        return _image.Clone(x => x.Resize(new ResizeOptions
        {
            Size = new Size(spec.Width, spec.Height),

            // Crop scales until the target is covered (the shorter side fits) and keeps the centre.
            Mode = spec.ResizeMode == CoreResizeMode.CenterCrop ? SharpResizeMode.Crop : SharpResizeMode.Stretch,
            Position = AnchorPositionMode.Center,

            // Bilinear (Triangle) reads a quarter of the taps bicubic does per output pixel, and is what the
            // torchvision/PIL preprocessing most models were trained with uses; ImageSharp widens the kernel
            // when downscaling, so it antialiases like PIL rather than point-sampling.
            Sampler = KnownResamplers.Triangle,
        }));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _image?.Dispose();
            _image = null;
        }
    }

    internal static void Validate(TensorSpec spec, Span<float> destination)
    {
        if (spec.Width <= 0 || spec.Height <= 0)
        {
            throw new ArgumentException($"tensor size {spec.Width} x {spec.Height} is not positive", nameof(spec));
        }

        if (spec.Mean.Count < 3 || spec.Std.Count < 3)
        {
            throw new ArgumentException("Mean and Std need one value per channel (3)", nameof(spec));
        }

        for (var c = 0; c < 3; c++)
        {
            if (spec.Std[c] == 0 || !float.IsFinite(spec.Std[c]))
            {
                throw new ArgumentException($"Std[{c}] is {spec.Std[c]}; it must be finite and non-zero", nameof(spec));
            }
        }

        if (destination.Length < spec.Length)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats; the tensor needs {spec.Length}", nameof(destination));
        }
    }

    /// <summary>NCHW planar, channel planes in <see cref="TensorSpec.ColorOrder"/>; Mean and Std are indexed by plane.</summary>
    internal static void WritePlanes(Image<Rgb24> image, TensorSpec spec, Span<float> destination)
    {
        var planes = new TensorPlanes(spec, destination);
        for (var y = 0; y < spec.Height; y++)
        {
            // Row memory rather than ProcessPixelRows: its delegate could not capture the destination span.
            var row = image.DangerousGetPixelRowMemory(y).Span;
            var offset = y * spec.Width;
            for (var x = 0; x < row.Length; x++)
            {
                var pixel = row[x];
                planes.Write(offset + x, pixel.R, pixel.G, pixel.B);
            }
        }
    }
}
