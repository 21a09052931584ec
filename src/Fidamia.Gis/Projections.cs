using System.Collections.Concurrent;
using NetTopologySuite.Geometries;
using ProjNet.CoordinateSystems;
using ProjNet.CoordinateSystems.Transformations;

namespace Fidamia.Gis;

/// <summary>
/// The coordinate systems layers may declare, and the one metric CRS all geometry work is done in: Lambert-93
/// (EPSG:2154), where a distance in map units is a distance in metres to within 0.1 % over the Métropole.
/// ProjNET has no EPSG database, so the few supported systems are defined here.
/// </summary>
public static class Projections
{
    public const int Wgs84 = 4326;

    public const int Lambert93 = 2154;

    public const int WebMercator = 3857;

    /// <summary>RGF93 / Lambert-93 (LCC 2SP). RGF93 is WGS84 to within centimetres: the zero TOWGS84 says no shift.</summary>
    internal const string Lambert93Wkt =
        "PROJCS[\"RGF93 / Lambert-93\",GEOGCS[\"RGF93\",DATUM[\"Reseau_Geodesique_Francais_1993\","
        + "SPHEROID[\"GRS 1980\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"7019\"]],TOWGS84[0,0,0,0,0,0,0],AUTHORITY[\"EPSG\",\"6171\"]],"
        + "PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4171\"]],"
        + "PROJECTION[\"Lambert_Conformal_Conic_2SP\"],PARAMETER[\"standard_parallel_1\",49],PARAMETER[\"standard_parallel_2\",44],"
        + "PARAMETER[\"latitude_of_origin\",46.5],PARAMETER[\"central_meridian\",3],PARAMETER[\"false_easting\",700000],"
        + "PARAMETER[\"false_northing\",6600000],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],AXIS[\"X\",EAST],AXIS[\"Y\",NORTH],AUTHORITY[\"EPSG\",\"2154\"]]";

    private static readonly CoordinateSystem Lambert93System = new CoordinateSystemFactory().CreateFromWkt(Lambert93Wkt);

    // The factory that turns every layer's geometries and every queried point into Lambert-93.
    internal static readonly GeometryFactory MetricFactory = new(new PrecisionModel(), Lambert93);

    private static readonly ConcurrentDictionary<(int From, int To), MathTransform> Transforms = new();

    // Queries come from many threads at once: each gets its own transform rather than queueing on a lock.
    [ThreadStatic]
    private static MathTransform? _threadToLambert93;

    /// <summary>The EPSG codes a layer may declare.</summary>
    public static IReadOnlyList<int> Supported { get; } = [Wgs84, Lambert93, WebMercator];

    public static bool IsSupported(int epsg) => epsg is Wgs84 or Lambert93 or WebMercator;

    /// <summary>True when the CRS is in degrees (lon/lat), false when projected (metres).</summary>
    public static bool IsGeographic(int epsg) => epsg == Wgs84;

    /// <summary>
    /// A transform between two supported systems. ProjNET's transforms keep per-call state in places, so each
    /// caller that may run concurrently gets its own through <see cref="Create"/>; this shared one is for load time.
    /// </summary>
    internal static MathTransform Shared(int from, int to) => Transforms.GetOrAdd((from, to), key => Create(key.From, key.To));

    internal static MathTransform Create(int from, int to) =>
        new CoordinateTransformationFactory().CreateFromCoordinateSystems(System(from), System(to)).MathTransform;

    /// <summary>A copy of <paramref name="geometry"/> in another CRS, with the target SRID set.</summary>
    public static Geometry Reproject(Geometry geometry, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        var copy = geometry.Copy();
        if (from != to)
        {
            var transform = Shared(from, to);
            lock (transform)
            {
                copy.Apply(new TransformFilter(transform));
            }

            copy.GeometryChanged();
        }

        copy.SRID = to;
        return copy;
    }

    /// <summary>A WGS84 position in Lambert-93 metres (easting, northing).</summary>
    public static (double X, double Y) ToLambert93(double lon, double lat)
    {
        var transform = _threadToLambert93 ??= Create(Wgs84, Lambert93);
        var (x, y) = (lon, lat);
        transform.Transform(ref x, ref y);
        return (x, y);
    }

    private static CoordinateSystem System(int epsg) => epsg switch
    {
        Wgs84 => GeographicCoordinateSystem.WGS84,
        Lambert93 => Lambert93System,
        WebMercator => ProjectedCoordinateSystem.WebMercator,
        _ => throw new NotSupportedException($"EPSG:{epsg} is not supported (supported: {string.Join(", ", Supported)})"),
    };

    private sealed class TransformFilter(MathTransform transform) : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                var x = seq.GetX(i);
                var y = seq.GetY(i);
                transform.Transform(ref x, ref y);
                seq.SetX(i, x);
                seq.SetY(i, y);
            }
        }
    }
}
