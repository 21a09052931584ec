using System.Buffers;
using System.Security.Cryptography;
using Fidamia.Core.Storage;

namespace Fidamia.Storage;

/// <summary>
/// Photos on disk, content-addressed: <c>ab/abcdef....bin</c> by the SHA-256 of the stripped bytes, so a photo sent with
/// several reports is kept once. Written to a temporary file and renamed, so a crash never leaves half a photo under
/// its name.
/// </summary>
public sealed class FilePhotoArchive(string root, IPhotoMetadataStripper stripper) : IPhotoArchive
{
    public string Root { get; } = Path.GetFullPath(root);

    public async Task<string> KeepAsync(ReadOnlyMemory<byte> photo, CancellationToken cancellationToken)
    {
        var output = new ArrayBufferWriter<byte>(photo.Length);
        stripper.Strip(photo.Span, output);
        var stripped = output.WrittenMemory;
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(stripped.Span));
        var path = PathOf(sha256);
        if (File.Exists(path))
        {
            return sha256;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await file.WriteAsync(stripped, cancellationToken);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return sha256;
    }

    /// <summary>Where the photo with this SHA-256 (hex) is, whether or not it is there.</summary>
    public string PathOf(string sha256) => Path.Combine(Root, sha256[..2], sha256 + ".bin");
}
