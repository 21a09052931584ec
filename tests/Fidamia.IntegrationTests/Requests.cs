using Fidamia.Protos.V1;
using Google.Protobuf;

namespace Fidamia.IntegrationTests;

internal static class Requests
{
    /// <summary>Marseille, Vieux-Port.</summary>
    public const double MarseilleLat = 43.2965;
    public const double MarseilleLon = 5.3698;

    /// <summary>A report with a fresh id, declared in Marseille unless told otherwise.</summary>
    public static TriageRequest Report(byte[] photo, double lat = MarseilleLat, double lon = MarseilleLon, string declared = "") => new()
    {
        ReportId = $"it-{Guid.NewGuid():N}",
        Photo = ByteString.CopyFrom(photo),
        Location = new GeoPoint { Lat = lat, Lon = lon, AccuracyM = 10 },
        DeclaredCategory = declared,
        Channel = Channel.App,
    };
}
