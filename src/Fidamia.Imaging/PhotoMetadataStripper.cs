using System.Buffers;
using System.Buffers.Binary;

namespace Fidamia.Imaging;

/// <summary>
/// Removes a photo's metadata without re-encoding its pixels, so the photo store keeps no citizen's position, time or
/// device data in the file (the service keeps the EXIF position and time as fields of its own). What stays is what a
/// decoder needs to render the stored pixels; everything else goes, known metadata or not, since a block the service
/// does not understand may still hold personal data:
/// <list type="bullet">
/// <item>JPEG: every segment but APP0 "JFIF" and APP14 "Adobe" (decoders read the colour transform from them, and
/// they are cut to their defined fields, so a JFIF thumbnail goes too), the other APPn (EXIF, XMP, ICC, MPF, IPTC,
/// ...) and COM dropped, in every position, between scans too; stray bytes between segments and anything after EOI
/// dropped; scans copied byte for byte.</item>
/// <item>PNG: the critical chunks and the ancillary chunks that change how pixels render; text (tEXt, zTXt, iTXt),
/// eXIf, tIME, iCCP, private chunks and anything after IEND dropped. Chunks are copied whole, CRC included.</item>
/// <item>WebP: the VP8X header (its ICC, EXIF and XMP flags cleared) and the image chunks (VP8, VP8L, ALPH, ANIM,
/// ANMF); ICCP, EXIF, XMP and unknown chunks dropped; the RIFF size rewritten and anything after it dropped.</item>
/// </list>
/// The photo must have passed the service's inspection: a photo this cannot walk is a bug upstream, refused with an
/// <see cref="InvalidDataException"/> rather than stored with its metadata.
/// </summary>
public static class PhotoMetadataStripper
{
    private const int JfifFieldsLength = 14; // "JFIF\0" | version (2) | units | density (4) | thumbnail width, height
    private const int JfifThumbnailSizeLength = 2;
    private const int AdobeFieldsLength = 12; // "Adobe" | version (2) | flags (4) | transform
    private const int JpegLengthFieldLength = 2;
    private const byte PngAncillaryBit = 0x20; // a lower-case first letter: decoders may skip the chunk
    private const int Vp8xHeaderLength = 10;
    private const byte Vp8xMetadataFlags = 0x20 | 0x08 | 0x04; // ICC profile, EXIF, XMP

    /// <summary>
    /// Ancillary PNG chunks kept: transparency, colour space, significant bits, pixel aspect, background, HDR display
    /// hints and APNG frames. None holds free text.
    /// </summary>
    private static ReadOnlySpan<byte> RenderingPngChunks => "tRNSgAMAcHRMsRGBcICPmDCvcLLisBITpHYsbKGDacTLfcTLfdAT"u8;

    private static ReadOnlySpan<byte> WebpImageChunks => "VP8 VP8LALPHANIMANMF"u8;

    /// <summary>
    /// Writes <paramref name="photo"/> without its metadata into <paramref name="output"/>. The output is never longer
    /// than the photo, so the writer is asked once for that many bytes and advanced once: the stripped photo is
    /// written straight into the caller's buffer, with no copy of its own, and nothing is written when the photo is
    /// refused.
    /// </summary>
    /// <exception cref="InvalidDataException">The photo is not a JPEG, PNG or WebP, or its framing runs past its bytes.</exception>
    public static void Strip(ReadOnlySpan<byte> photo, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        PhotoFormat? format = PhotoContainers.IsJpeg(photo) ? PhotoFormat.Jpeg
            : PhotoContainers.IsPng(photo) ? PhotoFormat.Png
            : PhotoContainers.IsWebp(photo) ? PhotoFormat.Webp
            : null;
        if (format is null)
        {
            throw new InvalidDataException("not a JPEG, PNG or WebP image");
        }

        // Sliced to the photo's length: a bug that wrote more would throw rather than grow the output.
        var stripped = new StrippedPhoto(output.GetSpan(photo.Length)[..photo.Length]);
        switch (format)
        {
            case PhotoFormat.Jpeg:
                StripJpeg(photo, ref stripped);
                break;
            case PhotoFormat.Png:
                StripPng(photo, ref stripped);
                break;
            default:
                StripWebp(photo, ref stripped);
                break;
        }

        output.Advance(stripped.Length);
    }

    private static void StripJpeg(ReadOnlySpan<byte> jpeg, ref StrippedPhoto stripped)
    {
        stripped.Write(jpeg[..2]); // SOI
        foreach (var segment in PhotoContainers.JpegSegments(jpeg))
        {
            if (segment.Marker is (>= PhotoContainers.JpegApp0 and <= PhotoContainers.JpegApp15) or PhotoContainers.JpegComment)
            {
                WriteColourSegment(segment, ref stripped);
                continue;
            }

            // Frame, tables, scans with their entropy-coded data, restart and other standalone markers: the pixels.
            stripped.Write(segment.Bytes);
            if (segment.Marker == PhotoContainers.JpegEndOfImage)
            {
                return;
            }
        }

        throw new InvalidDataException("the JPEG ends before its end-of-image marker");
    }

    /// <summary>
    /// Keeps JFIF and Adobe, which tell libjpeg and ImageSharp how to convert colours, cut to their defined fields;
    /// drops every other APPn and COM.
    /// </summary>
    private static void WriteColourSegment(JpegSegment segment, ref StrippedPhoto stripped)
    {
        // ICC (APP2, iCCP, ICCP) goes too: not personal, but the service decodes without colour management, so it never uses one.
        if (segment.Marker == PhotoContainers.JpegApp0 && segment.Payload.StartsWith("JFIF\0"u8))
        {
            var fields = WriteCut(segment, JfifFieldsLength, ref stripped);
            if (fields.Length == JfifFieldsLength)
            {
                fields[^JfifThumbnailSizeLength..].Clear(); // the thumbnail's pixels were cut off: it is now 0 x 0
            }
        }
        else if (segment.Marker == PhotoContainers.JpegApp14 && segment.Payload.StartsWith("Adobe"u8))
        {
            WriteCut(segment, AdobeFieldsLength, ref stripped);
        }
    }

    /// <summary>
    /// Writes the segment with its payload cut to <paramref name="length"/> bytes (whole when shorter: decoders then
    /// ignore it, and it has no room for more than its fields); returns the payload as written.
    /// </summary>
    private static Span<byte> WriteCut(JpegSegment segment, int length, ref StrippedPhoto stripped)
    {
        var payload = segment.Payload[..Math.Min(length, segment.Payload.Length)];
        stripped.Write(segment.Bytes[..2]); // 0xFF and the marker
        Span<byte> lengthField = stackalloc byte[JpegLengthFieldLength];
        BinaryPrimitives.WriteUInt16BigEndian(lengthField, (ushort)(JpegLengthFieldLength + payload.Length));
        stripped.Write(lengthField);
        return stripped.Write(payload);
    }

    private static void StripPng(ReadOnlySpan<byte> png, ref StrippedPhoto stripped)
    {
        stripped.Write(PhotoContainers.PngSignature);
        foreach (var chunk in PhotoContainers.PngChunks(png))
        {
            // Critical chunks (IHDR, PLTE, IDAT, IEND) are the image: a decoder refuses one it does not know.
            if ((chunk.Type[0] & PngAncillaryBit) == 0 || Contains(RenderingPngChunks, chunk.Type))
            {
                stripped.Write(chunk.Bytes);
            }

            if (chunk.Type.SequenceEqual("IEND"u8))
            {
                return;
            }
        }

        throw new InvalidDataException("the PNG ends before its IEND chunk");
    }

    private static void StripWebp(ReadOnlySpan<byte> webp, ref StrippedPhoto stripped)
    {
        var riffEnd = PhotoContainers.RiffSizeFieldEnd + (long)BinaryPrimitives.ReadUInt32LittleEndian(webp[4..]);
        if (riffEnd > webp.Length)
        {
            throw new InvalidDataException("the WebP is shorter than its RIFF size says");
        }

        var header = stripped.Write(webp[..PhotoContainers.RiffHeaderLength]);
        long walked = PhotoContainers.RiffHeaderLength;
        foreach (var chunk in PhotoContainers.WebpChunks(webp))
        {
            walked += chunk.Bytes.Length;
            if (chunk.FourCc.SequenceEqual("VP8X"u8))
            {
                if (chunk.Payload.Length < Vp8xHeaderLength)
                {
                    throw new InvalidDataException("the WebP's VP8X chunk is too short");
                }

                // Nothing it flags survives, and a reader that trusts the flags looks for what is gone.
                stripped.Write(chunk.Bytes)[PhotoContainers.RiffChunkHeaderLength] &= unchecked((byte)~Vp8xMetadataFlags);
            }
            else if (Contains(WebpImageChunks, chunk.FourCc))
            {
                stripped.Write(chunk.Bytes);
            }
        }

        // Fewer bytes than a chunk header are padding decoders skip; a chunk running past the RIFF size is not.
        if (riffEnd - walked >= PhotoContainers.RiffChunkHeaderLength)
        {
            throw new InvalidDataException("a WebP chunk runs past the RIFF size");
        }

        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(stripped.Length - PhotoContainers.RiffSizeFieldEnd));
    }

    /// <summary>Whether <paramref name="code"/> is one of the four-byte codes <paramref name="codes"/> lists end to end.</summary>
    private static bool Contains(ReadOnlySpan<byte> codes, ReadOnlySpan<byte> code)
    {
        for (var i = 0; i < codes.Length; i += 4)
        {
            if (codes.Slice(i, 4).SequenceEqual(code))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The caller's buffer, filled from the start; each write returns where it landed, for the few fields rewritten in place.</summary>
    private ref struct StrippedPhoto(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Length { get; private set; }

        public Span<byte> Write(scoped ReadOnlySpan<byte> bytes)
        {
            var target = _destination.Slice(Length, bytes.Length);
            bytes.CopyTo(target);
            Length += bytes.Length;
            return target;
        }
    }
}
