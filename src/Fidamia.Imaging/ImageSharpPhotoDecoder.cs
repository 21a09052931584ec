using Fidamia.Core.Errors;
using Fidamia.Core.Imaging;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Fidamia.Imaging;

/// <summary>
/// Decodes untrusted JPEG, PNG and WebP photos with ImageSharp 2.1, refusing oversized, truncated and
/// undecodable ones with an <see cref="Fidamia.Core.Errors.InvalidReportException"/> on the <c>photo</c> field.
/// </summary>
public sealed class ImageSharpPhotoDecoder : IPhotoDecoder
{
    private readonly ImagingOptions _options;
    private readonly Configuration _configuration;

    public ImageSharpPhotoDecoder(IOptions<ImagingOptions> options)
        : this(options, ImagingConfiguration.Create())
    {
    }

    /// <param name="configuration">Must come from <see cref="ImagingConfiguration.Create"/>; tests pass one with a counting allocator.</param>
    internal ImageSharpPhotoDecoder(IOptions<ImagingOptions> options, Configuration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        _options = options.Value;
        _configuration = configuration;
    }

    /// <remarks>
    /// ImageSharp 2.1 cannot decode at a reduced scale, so <paramref name="target"/> does not change the work done;
    /// the full image is decoded and resized in <see cref="DecodedPhoto.WriteTensor"/>.
    /// </remarks>
    public FieldViolation? Precheck(ReadOnlySpan<byte> photo) => PhotoInspector.Precheck(photo, _options, _configuration);

    public DecodedPhoto Decode(ReadOnlyMemory<byte> photo, TensorSpec target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var inspection = PhotoInspector.Inspect(photo, _options, _configuration, cancellationToken);
        try
        {
            return Load(photo, inspection, cancellationToken);
        }
        catch (Exception ex) when (PhotoInspector.IsDecoderFailure(ex))
        {
            throw PhotoInspector.CannotDecode(ex);
        }
    }

    /// <summary>The decode after the inspection; internal so the stage benchmarks can time it apart from the inspection.</summary>
    internal ImageSharpDecodedPhoto Load(ReadOnlyMemory<byte> photo, PhotoInspection inspection, CancellationToken cancellationToken)
    {
        Image<Rgb24> image;
        using (var stream = PhotoInspector.OpenRead(photo))
        {
            image = Image.Load<Rgb24>(_configuration, stream);
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Rotates the pixels as the camera meant them to be seen (phones mostly store landscape sensor data
            // plus an orientation tag); models are trained on upright photos. The decoder ignores metadata
            // (ImagingConfiguration), so the orientation the inspection read is handed to AutoOrient.
            if (inspection.Orientation != 1)
            {
                image.Metadata.ExifProfile = new ExifProfile();
                image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)inspection.Orientation);
                image.Mutate(x => x.AutoOrient());
                cancellationToken.ThrowIfCancellationRequested();
            }

            // The size is the decoded image's own; position, time and format come from the shared inspection.
            var metadata = inspection.Metadata with { Width = image.Width, Height = image.Height };
            return new ImageSharpDecodedPhoto(metadata, image);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }
}
