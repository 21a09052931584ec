namespace Fidamia.Core.Geo;

/// <summary>A WGS84 position in degrees, with an optional horizontal accuracy radius in metres.</summary>
public readonly record struct GeoPoint(double Lat, double Lon, double AccuracyM = 0)
{
    public bool IsValid =>
        double.IsFinite(Lat) && double.IsFinite(Lon) && Lat is >= -90 and <= 90 && Lon is >= -180 and <= 180;

    public override string ToString() => FormattableString.Invariant($"{Lat:0.######},{Lon:0.######}");
}
