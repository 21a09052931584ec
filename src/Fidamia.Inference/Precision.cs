using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Fidamia.Inference;

/// <summary>
/// Which precision to serve when the configuration leaves it to the machine: int8 where the CPU has
/// dot-product instructions for 8-bit integers (x86 AVX-VNNI or AVX-512, Arm's dot product), where a
/// quantized model runs about three times faster; fp32 elsewhere.
/// </summary>
public static class Precision
{
    public const string Auto = "auto";
    public const string Fp32 = "fp32";
    public const string Int8Quantized = "int8";

    /// <summary>The precision to serve and why, for the start-up log.</summary>
    public static (string Precision, string Reason) Choose(string configured) => configured switch
    {
        Fp32 or Int8Quantized => (configured, "Models:Precision says so"),
        _ when HasInt8DotProduct(out var instructions) => (Int8Quantized, $"auto: this CPU has {instructions}"),
        _ => (Fp32, "auto: this CPU has neither AVX-VNNI, AVX-512 nor Arm's dot product, where int8 pays most"),
    };

    /// <summary>The precision a manifest declares; fp32 when it says nothing.</summary>
    public static string Of(ModelManifest manifest) => string.IsNullOrEmpty(manifest.Precision) ? Fp32 : manifest.Precision;

    private static bool HasInt8DotProduct(out string instructions)
    {
        instructions = AvxVnni.IsSupported ? "AVX-VNNI"
            : Avx512BW.IsSupported ? "AVX-512"
            : Dp.IsSupported ? "Arm's dot product"
            : "";
        return instructions.Length > 0;
    }
}
