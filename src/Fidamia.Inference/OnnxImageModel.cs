using Fidamia.Core.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fidamia.Inference;

/// <summary>
/// One model version on ONNX Runtime: one long-lived <see cref="InferenceSession"/> (whose
/// <c>Run</c> is thread-safe), checked against its manifest at load and warmed up once.
/// </summary>
public sealed class OnnxImageModel : IImageModel, IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _singleShape;

    private OnnxImageModel(InferenceSession session, ModelManifest manifest, int outputLength, int maxBatchSize, string directory)
    {
        _session = session;
        Descriptor = manifest.ToDescriptor(outputLength, maxBatchSize);
        Directory = directory;
        _inputNames = [manifest.Input.Name];
        _outputNames = [manifest.Output.Name];
        _singleShape = [1, 3, Descriptor.Input.Height, Descriptor.Input.Width];
    }

    public ModelDescriptor Descriptor { get; }

    /// <summary>The version's folder in the model repository.</summary>
    public string Directory { get; }

    /// <summary>fp32 or int8, as the manifest says.</summary>
    public string Precision { get; private init; } = Inference.Precision.Fp32;

    /// <summary>For a version built at load and asked for: ONNX Runtime's optimised graph of it (no Conv may stay fp32).</summary>
    public Quantization.FusionReport? DerivedFusion { get; private init; }

    /// <summary>Where it runs: cpu, cuda:N, or cpu with the reason the configured provider could not start.</summary>
    public string ExecutionProvider { get; private init; } = "cpu";

    /// <summary>How the model was built at load when its version ships ranges instead of a file (see <see cref="BuildDerived"/>); else null.</summary>
    public string? DerivedAtLoad { get; private init; }

    /// <summary>Loads a version folder: manifest, ONNX file, metadata checks, warm-up.</summary>
    /// <param name="inspectDerived">For a version built at load: also report what ONNX Runtime fused of it (<see cref="DerivedFusion"/>).</param>
    public static OnnxImageModel Load(string versionDirectory, InferenceOptions options, bool inspectDerived = false)
    {
        var manifestPath = Path.Combine(versionDirectory, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            throw new ModelLoadException($"{manifestPath}: no manifest");
        }

        var manifest = ModelManifest.Load(manifestPath);
        var problems = manifest.Problems();
        if (problems.Count > 0)
        {
            throw new ModelLoadException($"{manifestPath}: {string.Join("; ", problems)}");
        }

        var modelPath = Path.Combine(versionDirectory, manifest.File);
        byte[]? derived = null;
        string? derivedAtLoad = null;
        if (!File.Exists(modelPath))
        {
            (derived, derivedAtLoad) = BuildDerived(manifest, manifestPath, versionDirectory)
                ?? throw new ModelLoadException($"{manifestPath}: file: '{manifest.File}' does not exist in {versionDirectory}");
        }

        var (session, provider) = CreateSession(modelPath, derived, options);
        try
        {
            var (outputLength, maxBatchSize) = CheckAgainstSession(manifest, session, manifestPath);
            var model = new OnnxImageModel(session, manifest, outputLength, maxBatchSize, versionDirectory)
            {
                Precision = Inference.Precision.Of(manifest), DerivedAtLoad = derivedAtLoad, ExecutionProvider = provider,
                DerivedFusion = derived is not null && inspectDerived ? Quantization.Int8Quantizer.InspectFusion(derived) : null,
            };
            model.WarmUp();
            if (derived is not null)
            {
                // The build held the fp32 file, its parsed graph and the int8 bytes (about 200 MB of large
                // objects): hand them back now rather than whenever a gen-2 collection happens to run.
                derived = null;
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }

            NativeHeap.Trim();
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A session on the configured provider; when that provider fails to start the session (no GPU, no driver), the same
    /// model on the CPU, the reason kept.
    /// </summary>
    private static (InferenceSession Session, string Provider) CreateSession(string modelPath, byte[]? derived, InferenceOptions options)
    {
        InferenceSession Open(SessionOptions sessionOptions) =>
            derived is null ? new InferenceSession(modelPath, sessionOptions) : new InferenceSession(derived, sessionOptions);

        using (var sessionOptions = OnnxSessionOptions.ForServing(options, cpuOnly: false, out var provider))
        {
            try
            {
                return (Open(sessionOptions), provider);
            }
            catch (OnnxRuntimeException ex) when (provider.StartsWith("cuda", StringComparison.Ordinal))
            {
                using var cpu = OnnxSessionOptions.ForServing(options, cpuOnly: true, out _);
                try
                {
                    return (Open(cpu), $"cpu (CUDA could not start: {OnnxSessionOptions.FirstLine(ex.Message)})");
                }
                catch (OnnxRuntimeException inner)
                {
                    throw new ModelLoadException($"{modelPath}: ONNX Runtime cannot load it: {inner.Message}", inner);
                }
            }
            catch (OnnxRuntimeException ex)
            {
                throw new ModelLoadException($"{modelPath}: ONNX Runtime cannot load it: {ex.Message}", ex);
            }
        }
    }

    public void Run(Memory<float> input, int batchSize, Span<float> output, CancellationToken cancellationToken)
    {
        var spec = Descriptor.Input;
        if (batchSize < 1 || batchSize > Descriptor.MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"the model takes 1 to {Descriptor.MaxBatchSize} images per run");
        }

        if (input.Length != batchSize * spec.Length)
        {
            throw new ArgumentException($"input has {input.Length} values; {batchSize} images take {batchSize * spec.Length}", nameof(input));
        }

        var outputLength = batchSize * Descriptor.OutputLength;
        if (output.Length < outputLength)
        {
            throw new ArgumentException($"output has room for {output.Length} values; {batchSize} images give {outputLength}", nameof(output));
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        long[] shape = batchSize == 1 ? _singleShape : [batchSize, 3, spec.Height, spec.Width];
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, shape);
        try
        {
            using var results = _session.Run(runOptions, _inputNames, [inputValue], _outputNames);
            results[0].GetTensorDataAsSpan<float>()[..outputLength].CopyTo(output);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    public void Dispose()
    {
        _session.Dispose();

        // The session's weights and arenas go back to the OS now, not at the next load: repeated swaps would otherwise grow the process.
        NativeHeap.Trim();
    }

    /// <summary>
    /// A derived version (the default int8 one) ships its manifest and calibration ranges, not its ONNX file:
    /// the file is built here, in memory, from the fp32 version it names and those ranges. The build is
    /// deterministic, so this is the same model <c>fidamia model quantize</c> writes, and it needs no write
    /// access to the model repository (read-only in the container).
    /// </summary>
    private static (byte[] Model, string How)? BuildDerived(ModelManifest manifest, string manifestPath, string versionDirectory)
    {
        if (manifest.DerivedFrom is null)
        {
            return null;
        }

        if (manifest.Calibration is null)
        {
            throw new ModelLoadException($"{manifestPath}: calibration: a derived version without its model file needs its calibration ranges");
        }

        var rangesPath = Path.Combine(versionDirectory, manifest.Calibration.File);
        if (!File.Exists(rangesPath))
        {
            throw new ModelLoadException($"{manifestPath}: calibration.file: '{manifest.Calibration.File}' does not exist in {versionDirectory}");
        }

        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(versionDirectory)))!;
        var sourceDirectory = Path.Combine([root, .. manifest.DerivedFrom.Split('/')]);
        var sourceManifestPath = Path.Combine(sourceDirectory, "manifest.json");
        if (!File.Exists(sourceManifestPath))
        {
            throw new ModelLoadException($"{manifestPath}: derivedFrom: '{manifest.DerivedFrom}' is not in the model repository {root}");
        }

        var sourcePath = Path.Combine(sourceDirectory, ModelManifest.Load(sourceManifestPath).File);
        if (!File.Exists(sourcePath))
        {
            throw new ModelLoadException($"{manifestPath}: derivedFrom: '{manifest.DerivedFrom}' has no model file {sourcePath}");
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var model = Quantization.Int8Quantizer.BuildQdq(File.ReadAllBytes(sourcePath), Quantization.CalibrationRanges.Load(rangesPath));
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            return (model, string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"built at load from {manifest.DerivedFrom} and {manifest.Calibration.File} in {elapsed.TotalMilliseconds:0} ms"));
        }
        catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or IOException)
        {
            throw new ModelLoadException($"{manifestPath}: calibration: {ex.Message}", ex);
        }
    }

    /// <summary>The first run pays for memory planning and kernel selection; pay it before serving.</summary>
    private void WarmUp()
    {
        var input = new float[Descriptor.Input.Length];
        var output = new float[Descriptor.OutputLength];
        Run(input, 1, output, CancellationToken.None);
    }

    /// <summary>Checks the manifest against the session's own metadata; returns the output length per image and the largest batch.</summary>
    private static (int OutputLength, int MaxBatchSize) CheckAgainstSession(ModelManifest manifest, InferenceSession session, string manifestPath)
    {
        string Fail(string field, string problem) => throw new ModelLoadException($"{manifestPath}: {field}: {problem}");

        if (!session.InputMetadata.TryGetValue(manifest.Input.Name, out var input))
        {
            Fail("input.name", $"the model has no input '{manifest.Input.Name}' (it has {string.Join(", ", session.InputMetadata.Keys)})");
        }

        if (session.InputMetadata.Count != 1)
        {
            Fail("input.name", $"the model takes {session.InputMetadata.Count} inputs; only single-image models are served");
        }

        if (input!.ElementDataType != TensorElementType.Float)
        {
            Fail("input.name", $"the model's input is {input.ElementDataType}, not float");
        }

        var dims = input.Dimensions;
        if (dims.Length != 4)
        {
            Fail("input.name", $"the model's input has rank {dims.Length}; NCHW (rank 4) is expected");
        }

        if (dims[0] is not (1 or -1))
        {
            Fail("input.name", $"the model's batch dimension is {dims[0]}; 1 or dynamic is expected");
        }

        var dynamicBatch = dims[0] == -1;
        if (!dynamicBatch && manifest.MaxBatchSize > 1)
        {
            Fail("maxBatchSize", $"{manifest.MaxBatchSize} for a model whose batch dimension is fixed at 1");
        }

        if (dims[1] is not (3 or -1))
        {
            Fail("input.name", $"the model takes {dims[1]} channels; 3 are expected");
        }

        if (dims[2] != -1 && dims[2] != manifest.Input.Height)
        {
            Fail("input.height", $"{manifest.Input.Height} does not match the model's input height {dims[2]}");
        }

        if (dims[3] != -1 && dims[3] != manifest.Input.Width)
        {
            Fail("input.width", $"{manifest.Input.Width} does not match the model's input width {dims[3]}");
        }

        if (!session.OutputMetadata.TryGetValue(manifest.Output.Name, out var output))
        {
            Fail("output.name", $"the model has no output '{manifest.Output.Name}' (it has {string.Join(", ", session.OutputMetadata.Keys)})");
        }

        if (output!.ElementDataType != TensorElementType.Float)
        {
            Fail("output.name", $"the model's output is {output.ElementDataType}, not float");
        }

        var perImage = output.Dimensions.Skip(1).ToArray();
        if (output.Dimensions.Length < 2 || perImage.Any(d => d < 1))
        {
            Fail("output.name", $"the model's output shape [{string.Join(", ", output.Dimensions)}] has no fixed size per image");
        }

        var length = perImage.Aggregate(1, (a, b) => checked(a * b));
        if (manifest.Labels.Count > 0 && length != manifest.Labels.Count)
        {
            Fail("labels", $"{manifest.Labels.Count} labels for {length} model outputs");
        }

        return (length, dynamicBatch ? manifest.MaxBatchSize ?? ModelManifest.DefaultDynamicBatch : 1);
    }
}
