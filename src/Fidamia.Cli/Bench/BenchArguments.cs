using System.Globalization;
using System.Net;

namespace Fidamia.Cli.Bench;

/// <summary>The value syntaxes of the bench options, kept pure so they can be tested without a command line.</summary>
internal static class BenchArguments
{
    /// <summary><c>20s</c>, <c>500ms</c>, <c>2m</c> or a plain number of seconds; never negative.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var value = text.Trim();
        // "ms" before "m" and "s": it ends with both.
        var (number, unit) = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (value[..^2], 0.001)
            : value.EndsWith('s') || value.EndsWith('S') ? (value[..^1], 1.0)
            : value.EndsWith('m') || value.EndsWith('M') ? (value[..^1], 60.0)
            : (value, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || !double.IsFinite(amount)
            || amount * unit > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(amount * unit);
        return true;
    }

    /// <summary>A comma list of positive integers, in the order given (<c>1,2,4,8,16</c>).</summary>
    public static bool TryParseLevels(string? text, out int[] levels)
    {
        levels = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parsed = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var level) || level <= 0)
            {
                return false;
            }

            parsed.Add(level);
        }

        levels = [.. parsed];
        return true;
    }

    /// <summary>An http:// or https:// address whose host is this machine.</summary>
    public static bool TryParseLoopbackServer(string? text, out Uri server, out string error)
    {
        server = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            error = $"--server must be an http:// or https:// address, not '{text}'";
            return false;
        }

        if (!IsLoopbackHost(address.IdnHost))
        {
            error = $"--server {address.IdnHost} is not a loopback address: the load generator only runs against this machine (127.0.0.1, ::1 or localhost)";
            return false;
        }

        server = address;
        error = "";
        return true;
    }

    /// <summary>
    /// localhost or a loopback IP, decided from the text alone: resolving a name could say "loopback" today
    /// and production tomorrow.
    /// </summary>
    public static bool IsLoopbackHost(string host)
    {
        var name = host.Trim('[', ']').TrimEnd('.');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip));
    }

    public static bool TryParseCoordinate(string? text, double min, double max, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    public static bool TryParsePositiveInt(string? text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
}
