using System.Numerics;

namespace Fidamia.Core.Scoring;

/// <summary>Feature-vector arithmetic shared by the prototype memory and the model tools.</summary>
public static class VectorMath
{
    /// <summary>Cosine similarity accumulated in double (0 when either vector is zero): how model versions and precisions are compared.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("vectors differ in length");
        }

        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }

        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("vectors differ in length");
        }

        var sum = 0f;
        var i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                acc += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    public static void AddInPlace(Span<float> target, ReadOnlySpan<float> values)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] += values[i];
        }
    }

    /// <summary>sum += weight x vector.</summary>
    public static void AddScaledInPlace(Span<float> sum, ReadOnlySpan<float> vector, float weight)
    {
        for (var i = 0; i < sum.Length; i++)
        {
            sum[i] += weight * vector[i];
        }
    }
}
