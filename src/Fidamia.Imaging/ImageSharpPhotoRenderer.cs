using Fidamia.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Fidamia.Imaging;

/// <summary>
/// Stored photos for operators, with the decoding configuration triage uses (JPEG, PNG and WebP only, metadata
/// ignored): turned upright by the orientation kept beside them, fitted within the size asked, as JPEG. The stored photos
/// passed triage's size checks, so a render is bounded like a decode.
/// </summary>
public sealed class ImageSharpPhotoRenderer : IPhotoRenderer
{
    private static readonly Configuration Configuration = ImagingConfiguration.Create();
    private static readonly JpegEncoder Encoder = new() { Quality = 85 };

    public RenderedPhoto Render(ReadOnlyMemory<byte> photo, int orientation, int maxSide, CancellationToken cancellationToken)
    {
        using var stream = PhotoInspector.OpenRead(photo);
        using var image = Image.Load<Rgb24>(Configuration, stream);
        cancellationToken.ThrowIfCancellationRequested();
        if (orientation is > 1 and <= 8)
        {
            image.Metadata.ExifProfile = new ExifProfile();
            image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)orientation);
        }

        image.Mutate(x =>
        {
            x.AutoOrient();
            if (image.Width > maxSide || image.Height > maxSide)
            {
                x.Resize(new ResizeOptions { Mode = SixLabors.ImageSharp.Processing.ResizeMode.Max, Size = new Size(maxSide, maxSide) });
            }
        });
        image.Metadata.ExifProfile = null;
        using var output = new MemoryStream();
        image.SaveAsJpeg(output, Encoder);
        return new RenderedPhoto(output.ToArray(), image.Width, image.Height);
    }
}
