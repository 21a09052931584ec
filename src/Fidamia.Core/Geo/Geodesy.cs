namespace Fidamia.Core.Geo;

public static class Geodesy
{
    // IUGG mean Earth radius: the haversine error against the ellipsoid stays under 0.5 %,
    // which is enough to tell a photo taken on the spot from one taken elsewhere.
    public const double MeanEarthRadiusM = 6_371_008.8;

    public static double HaversineMeters(GeoPoint a, GeoPoint b)
    {
        var lat1 = double.DegreesToRadians(a.Lat);
        var lat2 = double.DegreesToRadians(b.Lat);
        var dLat = lat2 - lat1;
        var dLon = double.DegreesToRadians(b.Lon - a.Lon);
        var h = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
            + Math.Cos(lat1) * Math.Cos(lat2) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * MeanEarthRadiusM * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }
}
