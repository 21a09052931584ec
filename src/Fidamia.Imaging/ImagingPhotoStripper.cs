using System.Buffers;
using Fidamia.Core.Storage;

namespace Fidamia.Imaging;

/// <summary>The photo archive's view of <see cref="PhotoMetadataStripper"/>.</summary>
internal sealed class ImagingPhotoStripper : IPhotoMetadataStripper
{
    public void Strip(ReadOnlySpan<byte> photo, IBufferWriter<byte> output) => PhotoMetadataStripper.Strip(photo, output);
}
