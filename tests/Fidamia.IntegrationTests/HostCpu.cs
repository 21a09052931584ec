using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Fidamia.IntegrationTests;

/// <summary>
/// What <c>Models:Precision=auto</c> should serve on the machine the tests run on, read from the CPU here rather than
/// assumed from the machine a test was written on: build hosts differ (AVX2 only, AVX-512 with VNNI, Arm).
/// </summary>
internal static class HostCpu
{
    /// <summary>int8 where the CPU has 8-bit dot products (AVX-VNNI, AVX-512, Arm's dot product), as the README says.</summary>
    public static bool AutoServesInt8 => AvxVnni.IsSupported || Avx512BW.IsSupported || Dp.IsSupported;

    /// <summary>The default model's version auto serves: resnet18/2 is its int8 twin of resnet18/1.</summary>
    public static string AutoDefaultModelVersion => AutoServesInt8 ? "2" : "1";

    public static string AutoPrecision => AutoServesInt8 ? "int8" : "fp32";
}
