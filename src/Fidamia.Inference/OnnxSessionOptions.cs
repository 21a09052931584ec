using Microsoft.ML.OnnxRuntime;

namespace Fidamia.Inference;

/// <summary>Where a served model runs.</summary>
public enum ExecutionProvider
{
    Cpu,

    /// <summary>NVIDIA GPUs; needs the build with <c>-p:FidamiaGpu=true</c> (ONNX Runtime's CUDA package) and a driver.</summary>
    Cuda,
}

/// <summary>
/// The one place ONNX Runtime sessions get their options: the service's (every optimisation, the configured threads,
/// no spinning unless asked, the configured execution provider) and the tools' (a level and a thread count of their own).
/// </summary>
public static class OnnxSessionOptions
{
    /// <summary>Options for a tool: the given optimisation level and threads, spinning off (it burns the cores other work needs).</summary>
    /// <param name="optimizedModelPath">Where ORT writes the graph it optimised, for tools that inspect it.</param>
    /// <param name="errorsOnly">ORT's own warnings silenced (e.g. that a saved optimised graph is specific to this machine).</param>
    public static SessionOptions Create(
        GraphOptimizationLevel level, int intraOpThreads, bool allowSpinning = false, string? optimizedModelPath = null, bool errorsOnly = false)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = level,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
        };
        if (optimizedModelPath is not null)
        {
            options.OptimizedModelFilePath = optimizedModelPath;
        }

        if (errorsOnly)
        {
            options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        }

        options.AddSessionConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
        return options;
    }

    /// <summary>
    /// Options for a served model, on the configured provider where it can be appended; otherwise on the CPU, with the
    /// reason in <paramref name="provider"/>.
    /// </summary>
    public static SessionOptions ForServing(InferenceOptions settings, bool cpuOnly, out string provider)
    {
        var options = Create(GraphOptimizationLevel.ORT_ENABLE_ALL, settings.IntraOpThreads, settings.AllowSpinning);
        provider = "cpu";
        if (settings.ExecutionProvider == ExecutionProvider.Cuda && !cpuOnly)
        {
            try
            {
                options.AppendExecutionProvider_CUDA(settings.CudaDeviceId);
                provider = $"cuda:{settings.CudaDeviceId}";
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                provider = $"cpu (CUDA unavailable: {FirstLine(ex.Message)})";
            }
        }

        return options;
    }

    internal static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
