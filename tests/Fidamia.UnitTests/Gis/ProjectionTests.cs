using Fidamia.Core.Geo;
using Fidamia.Gis;

namespace Fidamia.UnitTests.Gis;

/// <summary>Lambert-93 from the embedded WKT, against PROJ's answers and an ellipsoidal geodesic.</summary>
public sealed class ProjectionTests
{
    [Theory]
    // Reference values from PROJ 9 (cs2cs EPSG:4326 EPSG:2154), to the millimetre.
    [InlineData(2.3455, 48.8462, 651967.850, 6860882.930)] // Paris, the Panthéon
    [InlineData(5.3698, 43.2965, 892390.222, 6247035.257)] // Marseille, Vieux-Port
    [InlineData(5.5019, 43.6942, 901710.805, 6291547.725)] // Pertuis
    public void ToLambert93_KnownPoint_MatchesProjWithinACentimetre(double lon, double lat, double x, double y)
    {
        var (e, n) = Projections.ToLambert93(lon, lat);

        Assert.Equal(x, e, 0.01);
        Assert.Equal(y, n, 0.01);
    }

    [Fact]
    public void ToLambert93_ThenBack_ReturnsThePointWithinFiveCentimetres()
    {
        var start = new GeoPoint(43.5297, 5.4474);

        var back = GisTestLayers.Offset(start, 0, 0);

        // ProjNET's inverse conic stops iterating at about 1e-7 degrees (a centimetre): the service only projects forward.
        Assert.InRange(Vincenty.InverseMeters(start, back), 0, 0.05);
    }

    [Theory]
    [InlineData(43.2965, 5.3698, 1.0, 0.0)]
    [InlineData(43.2965, 5.3698, 0.0, 30.0)]
    [InlineData(43.2965, 5.3698, 21.0, -17.0)]
    [InlineData(43.5297, 5.4474, 250.0, 250.0)]
    [InlineData(43.6942, 5.5019, -3000.0, 1200.0)]
    [InlineData(43.1748, 5.6047, 10_000.0, 20_000.0)]
    [InlineData(43.2965, 5.3698, -35_000.0, 35_000.0)] // across the Métropole, about 50 km
    [InlineData(43.5151, 4.9895, 40_000.0, -28_000.0)]
    public void Lambert93Distance_AcrossTheMetropole_AgreesWithTheGeodesicWithinHalfAPercent(double lat, double lon, double eastM, double northM)
    {
        var from = new GeoPoint(lat, lon);
        var to = GisTestLayers.Offset(from, eastM, northM);
        var planar = Math.Sqrt((eastM * eastM) + (northM * northM));

        var geodesic = Vincenty.InverseMeters(from, to);

        Assert.InRange(planar / geodesic, 0.995, 1.005);
    }

    [Theory]
    [InlineData(4326, true)]
    [InlineData(2154, true)]
    [InlineData(3857, true)]
    [InlineData(27572, false)]
    public void IsSupported_Code_OnlyTheEmbeddedSystems(int epsg, bool expected)
    {
        Assert.Equal(expected, Projections.IsSupported(epsg));
    }

    [Fact]
    public void Vincenty_KnownPair_MatchesThePublishedDistance()
    {
        // Flinders Peak to Buninyong, Vincenty (1975) / Geoscience Australia's worked example: 54 972.271 m.
        var flinders = new GeoPoint(-(37 + (57 / 60.0) + (3.72030 / 3600)), 144 + (25 / 60.0) + (29.52440 / 3600));
        var buninyong = new GeoPoint(-(37 + (39 / 60.0) + (10.15610 / 3600)), 143 + (55 / 60.0) + (35.38390 / 3600));

        Assert.Equal(54_972.271, Vincenty.InverseMeters(flinders, buninyong), 0.01);
    }
}

/// <summary>Vincenty's inverse formula on the GRS80 ellipsoid (RGF93's; WGS84's differs by 0.1 mm): the reference.</summary>
internal static class Vincenty
{
    public static double InverseMeters(GeoPoint p1, GeoPoint p2)
    {
        const double A = 6378137.0;
        const double F = 1 / 298.257222101;
        const double B = A * (1 - F);
        var l = double.DegreesToRadians(p2.Lon - p1.Lon);
        var u1 = Math.Atan((1 - F) * Math.Tan(double.DegreesToRadians(p1.Lat)));
        var u2 = Math.Atan((1 - F) * Math.Tan(double.DegreesToRadians(p2.Lat)));
        var (sinU1, cosU1, sinU2, cosU2) = (Math.Sin(u1), Math.Cos(u1), Math.Sin(u2), Math.Cos(u2));
        var lambda = l;
        double sinSigma, cosSigma, sigma, cos2Alpha, cos2SigmaM;
        var iterations = 0;
        while (true)
        {
            var (sinLambda, cosLambda) = (Math.Sin(lambda), Math.Cos(lambda));
            sinSigma = Math.Sqrt(Math.Pow(cosU2 * sinLambda, 2) + Math.Pow((cosU1 * sinU2) - (sinU1 * cosU2 * cosLambda), 2));
            if (sinSigma == 0)
            {
                return 0;
            }

            cosSigma = (sinU1 * sinU2) + (cosU1 * cosU2 * cosLambda);
            sigma = Math.Atan2(sinSigma, cosSigma);
            var sinAlpha = cosU1 * cosU2 * sinLambda / sinSigma;
            cos2Alpha = 1 - (sinAlpha * sinAlpha);
            cos2SigmaM = cos2Alpha == 0 ? 0 : cosSigma - (2 * sinU1 * sinU2 / cos2Alpha);
            var c = F / 16 * cos2Alpha * (4 + (F * (4 - (3 * cos2Alpha))));
            var previous = lambda;
            lambda = l + ((1 - c) * F * sinAlpha * (sigma + (c * sinSigma * (cos2SigmaM + (c * cosSigma * (-1 + (2 * cos2SigmaM * cos2SigmaM)))))));
            if (Math.Abs(lambda - previous) < 1e-12 || ++iterations > 200)
            {
                break;
            }
        }

        var uSquared = cos2Alpha * ((A * A) - (B * B)) / (B * B);
        var bigA = 1 + (uSquared / 16384 * (4096 + (uSquared * (-768 + (uSquared * (320 - (175 * uSquared)))))));
        var bigB = uSquared / 1024 * (256 + (uSquared * (-128 + (uSquared * (74 - (47 * uSquared))))));
        var deltaSigma = bigB * sinSigma * (cos2SigmaM + (bigB / 4 * ((cosSigma * (-1 + (2 * cos2SigmaM * cos2SigmaM)))
            - (bigB / 6 * cos2SigmaM * (-3 + (4 * sinSigma * sinSigma)) * (-3 + (4 * cos2SigmaM * cos2SigmaM))))));
        return B * bigA * (sigma - deltaSigma);
    }
}
