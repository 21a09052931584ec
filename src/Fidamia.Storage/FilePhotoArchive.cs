using System.Buffers;
using System.Security.Cryptography;
using Fidamia.Core.Storage;

namespace Fidamia.Storage;

/// <summary>
/// Photos on disk, content-addressed: <c>ab/abcdef....bin</c> by the SHA-256 of the stripped bytes, so a photo sent with
/// several reports is kept once. Written to a temporary file and renamed, so a crash never leaves half a photo under
/// its name. A file's write time is when it was last kept (written, or sent again), which retention reads.
/// </summary>
/// <param name="flushToDisk">Each new photo is flushed to disk before it is named (<see cref="StorageDurability.PowerLoss"/>).</param>
public sealed class FilePhotoArchive(string root, IPhotoMetadataStripper stripper, TimeProvider clock, bool flushToDisk) : IPhotoArchive
{
    public FilePhotoArchive(string root, IPhotoMetadataStripper stripper)
        : this(root, stripper, TimeProvider.System, flushToDisk: false)
    {
    }

    public string Root { get; } = Path.GetFullPath(root);

    public async Task<string> KeepAsync(ReadOnlyMemory<byte> photo, CancellationToken cancellationToken)
    {
        // A photo is up to 20 MB: its stripped copy goes in a pooled buffer, not a new large object per report.
        using var output = new PooledBufferWriter(photo.Length);
        stripper.Strip(photo.Span, output);
        var stripped = output.WrittenMemory;
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(stripped.Span));
        var path = PathOf(sha256);
        // Of the right length, the file is this photo (a file not flushed before a power cut may be empty: written again).
        if (new FileInfo(path) is { Exists: true } existing && existing.Length == stripped.Length)
        {
            try
            {
                // Kept again now: retention running at this moment leaves it for the report about to be stored.
                File.SetLastWriteTimeUtc(path, clock.GetUtcNow().UtcDateTime);
                return sha256;
            }
            catch (FileNotFoundException)
            {
                // Deleted by retention in between: written again below.
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await file.WriteAsync(stripped, cancellationToken);
                await file.FlushAsync(cancellationToken);
                if (flushToDisk)
                {
                    file.Flush(flushToDisk: true);
                }
            }

            File.SetLastWriteTimeUtc(temporary, clock.GetUtcNow().UtcDateTime);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return sha256;
    }

    public bool Delete(string photoSha256, DateTimeOffset keptSince)
    {
        var path = PathOf(photoSha256);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return true;
        }

        if (info.LastWriteTimeUtc >= keptSince.UtcDateTime)
        {
            return false;
        }

        info.Delete();
        return true;
    }

    public async Task<byte[]?> ReadAsync(string photoSha256, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(photoSha256), cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Where the photo with this SHA-256 (hex) is, whether or not it is there.</summary>
    public string PathOf(string sha256) =>
        sha256.Length == 64 && sha256.All(char.IsAsciiHexDigitLower)
            ? Path.Combine(Root, sha256[..2], sha256 + ".bin")
            : throw new ArgumentException("not a lower-case hex SHA-256", nameof(sha256));
}

/// <summary>An <see cref="IBufferWriter{T}"/> over one array rented for a known upper bound (the stripper never grows).</summary>
internal sealed class PooledBufferWriter(int capacity) : IBufferWriter<byte>, IDisposable
{
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1));
    private int _written;

    public ReadOnlyMemory<byte> WrittenMemory => Buffer.AsMemory(0, _written);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledBufferWriter));

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Buffer.AsMemory(_written, Room(sizeHint));

    public Span<byte> GetSpan(int sizeHint = 0) => Buffer.AsSpan(_written, Room(sizeHint));

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private int Room(int sizeHint)
    {
        var room = Buffer.Length - _written;
        return sizeHint <= room ? room : throw new InvalidOperationException($"the buffer holds {room} more bytes, not {sizeHint}");
    }
}
