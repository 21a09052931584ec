namespace Fidamia.Imaging;

/// <summary>
/// Finds the one metadata block the service reads, EXIF, by walking the container's own framing: the first APP1
/// "Exif" segment before a JPEG's first scan, the first PNG eXIf chunk, the first EXIF chunk of an extended WebP.
/// ImageSharp decodes with metadata ignored (<see cref="ImagingConfiguration"/> says what its decoders would do with
/// it otherwise), so this is where EXIF comes from. The walk reads lengths and a few identifier bytes: it copies
/// nothing and inflates nothing, and the block it returns is at most <see cref="MaxExifBytes"/> long.
/// </summary>
internal static class PhotoMetadataBlocks
{
    /// <summary>
    /// EXIF is skipped past this size: 64 KB is what a JPEG APP1 segment can hold, so no camera writes more, while
    /// ImageSharp's EXIF reader's time grows with the entries (see the README's photo metadata section).
    /// </summary>
    public const int MaxExifBytes = 64 * 1024;

    /// <summary>
    /// Skia's libpng inflates every zTXt and compressed iTXt, up to 8 MB apiece and for up to 1000 chunks: bounded in
    /// memory, not in time (see the README). Writers put a handful in a photo (ImageMagick's raw profiles and dates);
    /// sixteen keeps the worst case to tens of milliseconds.
    /// </summary>
    public const int MaxCompressedTextChunks = 16;

    /// <summary>The EXIF block (starting at its TIFF header, as ImageSharp's ExifProfile reads it); empty when there is none or it is too large.</summary>
    public static ReadOnlySpan<byte> FindExif(ReadOnlySpan<byte> photo, PhotoFormat format)
    {
        var block = format switch
        {
            PhotoFormat.Jpeg => FindJpegExif(photo),
            PhotoFormat.Png => FindPngChunk(photo, "eXIf"u8),
            PhotoFormat.Webp => FindWebpExif(photo),
            _ => [],
        };
        return block.Length <= MaxExifBytes ? block : [];
    }

    /// <summary>The zTXt chunks and the iTXt chunks with their compression flag set, each of which libpng inflates.</summary>
    public static int CountCompressedPngText(ReadOnlySpan<byte> png)
    {
        var count = 0;
        foreach (var chunk in PhotoContainers.PngChunks(png))
        {
            if (chunk.Type.SequenceEqual("zTXt"u8) || (chunk.Type.SequenceEqual("iTXt"u8) && IsCompressedInternationalText(chunk.Data)))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The payload of the first APP1 segment that starts "Exif\0\0", without those six bytes; EXIF comes before the first scan.</summary>
    private static ReadOnlySpan<byte> FindJpegExif(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> identifier = "Exif\0\0"u8;
        foreach (var segment in PhotoContainers.JpegSegments(data))
        {
            if (segment.Marker is PhotoContainers.JpegStartOfScan or PhotoContainers.JpegEndOfImage)
            {
                return []; // no EXIF before the pixels
            }

            if (segment.Marker == PhotoContainers.JpegApp1 && segment.Payload.StartsWith(identifier))
            {
                return segment.Payload[identifier.Length..];
            }
        }

        return [];
    }

    private static ReadOnlySpan<byte> FindPngChunk(ReadOnlySpan<byte> png, ReadOnlySpan<byte> wanted)
    {
        foreach (var chunk in PhotoContainers.PngChunks(png))
        {
            if (chunk.Type.SequenceEqual(wanted))
            {
                return chunk.Data;
            }
        }

        return [];
    }

    /// <summary>The first EXIF chunk of an extended (VP8X) WebP, the only kind that carries metadata.</summary>
    private static ReadOnlySpan<byte> FindWebpExif(ReadOnlySpan<byte> webp)
    {
        if (!PhotoContainers.IsWebp(webp) || webp.Length < PhotoContainers.RiffHeaderLength + PhotoContainers.RiffChunkHeaderLength
            || !webp.Slice(PhotoContainers.RiffHeaderLength, 4).SequenceEqual("VP8X"u8))
        {
            return [];
        }

        foreach (var chunk in PhotoContainers.WebpChunks(webp))
        {
            if (chunk.FourCc.SequenceEqual("EXIF"u8))
            {
                return chunk.Payload;
            }
        }

        return [];
    }

    /// <summary>iTXt: keyword (1-79 bytes), NUL, compression flag (1 = compressed), method, language, translated keyword, text.</summary>
    private static bool IsCompressedInternationalText(ReadOnlySpan<byte> data)
    {
        var keywordEnd = data.IndexOf((byte)0);
        return keywordEnd >= 1 && keywordEnd + 1 < data.Length && data[keywordEnd + 1] != 0;
    }
}
