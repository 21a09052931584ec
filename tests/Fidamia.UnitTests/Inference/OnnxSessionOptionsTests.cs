using Fidamia.Inference;

namespace Fidamia.UnitTests.Inference;

public class OnnxSessionOptionsTests
{
    [Fact]
    public void ForServing_Cpu_IsCpu()
    {
        using var options = OnnxSessionOptions.ForServing(new InferenceOptions { ExecutionProvider = ExecutionProvider.Cpu }, cpuOnly: false, out var provider);

        Assert.Equal("cpu", provider);
    }

    [Fact]
    public void ForServing_CudaOnTheCpuBuild_FallsBackToTheCpuAndSaysWhy()
    {
        // The default build carries ONNX Runtime's CPU package, without the CUDA provider: the test build is that one.
        using var options = OnnxSessionOptions.ForServing(new InferenceOptions { ExecutionProvider = ExecutionProvider.Cuda }, cpuOnly: false, out var provider);

        Assert.StartsWith("cpu (CUDA unavailable: ", provider, StringComparison.Ordinal);
    }

    [Fact]
    public void ForServing_CpuOnly_NeverAppendsCuda()
    {
        using var options = OnnxSessionOptions.ForServing(new InferenceOptions { ExecutionProvider = ExecutionProvider.Cuda }, cpuOnly: true, out var provider);

        Assert.Equal("cpu", provider);
    }
}
