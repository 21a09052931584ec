using System.Globalization;
using Fidamia.Core.Geo;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;

namespace Fidamia.Imaging;

/// <summary>
/// Reads the position and capture time a photo claims. EXIF is written by every kind of device and editor, often
/// badly, so anything malformed yields null rather than an error: the photo itself is still usable.
/// </summary>
internal static class ExifMetadata
{
    private const string DateTimeFormat = "yyyy:MM:dd HH:mm:ss";

    public static GeoPoint? ReadLocation(ExifProfile? exif)
    {
        if (exif is null)
        {
            return null;
        }

        var latitude = ToDegrees(exif.GetValue(ExifTag.GPSLatitude)?.Value, 90);
        var longitude = ToDegrees(exif.GetValue(ExifTag.GPSLongitude)?.Value, 180);
        var latitudeSign = HemisphereSign(exif.GetValue(ExifTag.GPSLatitudeRef)?.Value, 'N', 'S');
        var longitudeSign = HemisphereSign(exif.GetValue(ExifTag.GPSLongitudeRef)?.Value, 'E', 'W');

        // Without its reference a coordinate may be in the wrong hemisphere; no position beats a mirrored one.
        if (latitude is not { } lat || longitude is not { } lon || latitudeSign is not { } latSign || longitudeSign is not { } lonSign)
        {
            return null;
        }

        // Devices without a fix write zeros; a report from 0,0 (open sea) is never real.
        if (lat == 0 && lon == 0)
        {
            return null;
        }

        var point = new GeoPoint(latSign * lat, lonSign * lon);
        return point.IsValid ? point : null;
    }

    public static DateTimeOffset? ReadTakenAt(ExifProfile? exif)
    {
        var text = exif?.GetValue(ExifTag.DateTimeOriginal)?.Value?.Trim('\0', ' ');
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // EXIF 2.2 carries no zone; the caller's contract is to read it as UTC. "0000:00:00 00:00:00" fails to parse.
        return DateTimeOffset.TryParseExact(
            text,
            DateTimeFormat,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out var takenAt)
            ? takenAt
            : null;
    }

    /// <summary>Degrees, minutes, seconds (each a rational) to decimal degrees; some writers fill only the first one or two.</summary>
    private static double? ToDegrees(Rational[]? parts, double maxDegrees)
    {
        if (parts is null || parts.Length is 0 or > 3)
        {
            return null;
        }

        var degrees = 0.0;
        var unit = 1.0;
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Denominator == 0)
            {
                return null;
            }

            var value = (double)parts[i].Numerator / parts[i].Denominator;

            // Minutes and seconds above 60 mean a corrupt field; exactly 60 is a rounding habit of some writers.
            if (i > 0 && value > 60)
            {
                return null;
            }

            degrees += value / unit;
            unit *= 60;
        }

        return double.IsFinite(degrees) && degrees <= maxDegrees ? degrees : null;
    }

    private static int? HemisphereSign(string? reference, char positive, char negative)
    {
        var trimmed = reference?.Trim('\0', ' ');
        if (trimmed is not { Length: 1 })
        {
            return null;
        }

        var letter = char.ToUpperInvariant(trimmed[0]);
        return letter == positive ? 1 : letter == negative ? -1 : null;
    }
}
