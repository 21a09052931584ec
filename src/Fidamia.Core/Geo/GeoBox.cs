namespace Fidamia.Core.Geo;

/// <summary>A latitude/longitude box enclosing a circle: what an index on coordinates can answer before exact distances.</summary>
public readonly record struct GeoBox(double South, double North, double West, double East)
{
    private const double MetresPerDegreeLatitude = 111_320;

    public static GeoBox Around(GeoPoint centre, double radiusM)
    {
        var dLat = radiusM / MetresPerDegreeLatitude;
        // A degree of longitude shrinks with the cosine of the latitude; never divide by (nearly) zero near a pole.
        var dLon = radiusM / (MetresPerDegreeLatitude * Math.Max(Math.Cos(centre.Lat * Math.PI / 180), 0.01));
        return new GeoBox(centre.Lat - dLat, centre.Lat + dLat, centre.Lon - dLon, centre.Lon + dLon);
    }
}
