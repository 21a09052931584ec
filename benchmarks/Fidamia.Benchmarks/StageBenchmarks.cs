using System.Globalization;
using BenchmarkDotNet.Attributes;
using Fidamia.Core;
using Fidamia.Core.Context;
using Fidamia.Core.Fusion;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Location;
using Fidamia.Core.Models;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;
using Fidamia.Core.Routing;
using Fidamia.Core.Scoring;
using Fidamia.Core.Taxonomy;
using Fidamia.Gis;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Routing;
using Fidamia.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Fidamia.Benchmarks;

/// <summary>
/// The hot path stage by stage, for the 12 MP and the 1 MP photo of <see cref="BenchmarkPhotos"/>, beside the raw
/// baseline in the same run: a bare <c>InferenceSession.Run</c> on a ready tensor (1 intra-op thread, no spinning,
/// like every model in this class). Each stage runs alone on the previous stage's output, prepared in setup and
/// never modified, so the rows add up to roughly the whole-pipeline rows, which run <see cref="TriagePipeline.TriageAsync"/>
/// on a host registered like the server's, once per decoder. Ratios, not timings, are what to read on noisy machines.
/// </summary>
/// <remarks>
/// The Skia resize and normalisation are one pass in the service; the Skia resize row writes plain RGB instead of the
/// tensor, and the normalise row (<see cref="TensorPlanes"/> over a 224 x 224 image) is the part it leaves out.
/// The benchmark photos keep leuvenA's EXIF position (Leuven), so the pipeline rows end in NEEDS_REVIEW by the EXIF
/// distance rule; every stage still runs (the rules route it anyway, for the explanation), so the cost is the same.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(TrendRatioConfig))]
public class StageBenchmarks
{
    private const string Declared = "nid_de_poule";

    // In the demo Parc Borély, a few metres from the demo Avenue du Prado, in Marseille's 8th arrondissement: every
    // part of a lookup (commune, arrondissement, zone, road) and of the context prior (park, road) is hit.
    private static readonly GeoPoint Place = new(43.2615, 5.3805);

    // Labelled examples for the prototype memory, from the shared photos; epave gets one, under MinExamples, so the
    // scorer also has a label to leave out.
    private static readonly (string Label, string File)[] SeedPhotos =
    [
        ("nid_de_poule", "gravel.png"), ("nid_de_poule", "brick.png"), ("nid_de_poule", "leuvenA.jpg"),
        ("graffiti", "graf1.png"), ("graffiti", "box_in_scene.png"), ("graffiti", "building.jpg"),
        ("vegetation", "grass.png"), ("vegetation", "chelsea.png"), ("vegetation", "coffee.png"),
        ("epave", "licenseplate_motion.jpg"),
    ];

    private readonly CancellationToken _none = CancellationToken.None;
    private readonly RunOptions _runOptions = new();
    private readonly List<IHost> _hosts = [];
    private string? _temp;
    private byte[] _photo = null!;
    private TensorSpec _spec = null!;

    // Baseline and inference.
    private InferenceSession? _rawSession;
    private OrtValue? _rawInput;
    private string[] _inputNames = null!;
    private string[] _outputNames = null!;
    private OnnxImageModel? _model;

    // Imaging stages, each on the previous one's output.
    private ImagingOptions _imagingOptions = null!;
    private Configuration _configuration = null!;
    private ImageSharpPhotoDecoder _imageSharp = null!;
    private PhotoInspection _inspection = null!;
    private ImageSharpDecodedPhoto? _imageSharpDecoded;
    private SkiaDecodedPhoto? _skiaDecoded;
    private Image<Rgb24>? _resized;
    private float[] _rgb = null!;
    private float[] _tensor = null!;
    private float[] _features = null!;

    // Score, fusion, locate, route: the host's own instances.
    private IImageScorer _scorer = null!;
    private IContextPrior _contextPrior = null!;
    private EvidenceFusion _fusion = null!;
    private ILocator _locator = null!;
    private IQueueRouter _router = null!;
    private TaxonomyLabel _declared = null!;
    private LocationContext _context = null!;

    private TriagePipeline _skiaPipeline = null!;
    private TriagePipeline _imageSharpPipeline = null!;
    private long _reportCount;

    [Params("12MP", "1MP")]
    public string Photo { get; set; } = "12MP";

    [GlobalSetup(Targets = [nameof(RawRun), nameof(Identify), nameof(DecodeImageSharp), nameof(DecodeSkia), nameof(ResizeImageSharp), nameof(ResizeSkia), nameof(Normalise), nameof(Inference)])]
    public void SetupStages()
    {
        SetupPhoto();
        // fp32 on every host: the raw Run baseline reads the model file, and an int8 version is built in memory at
        // load; int8 against fp32 is PrecisionBenchmarks' comparison.
        var options = new InferenceOptions { IntraOpThreads = 1, AllowSpinning = false, Precision = Precision.Fp32 };
        _model = OnnxImageModel.Load(new ModelRepository(options.ResolvedPath).Choose(options).Directory, options);
        _spec = _model.Descriptor.Input;

        using (var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 })
        {
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            _rawSession = new InferenceSession(Path.Combine(_model.Directory, "model.onnx"), sessionOptions);
        }

        _inputNames = [.. _rawSession.InputMetadata.Keys];
        _outputNames = [.. _rawSession.OutputMetadata.Keys];
        var rawInputData = new float[_spec.Length];
        for (var i = 0; i < rawInputData.Length; i++)
        {
            rawInputData[i] = (i % 255) - 120f;
        }

        _rawInput = OrtValue.CreateTensorValueFromMemory(rawInputData, [1, 3, _spec.Height, _spec.Width]);

        _imagingOptions = new ImagingOptions();
        _configuration = ImagingConfiguration.Create();
        _imageSharp = new ImageSharpPhotoDecoder(Options.Create(_imagingOptions), _configuration);
        _inspection = PhotoInspector.Inspect(_photo, _imagingOptions, _configuration, _none);
        _imageSharpDecoded = _imageSharp.Load(_photo, _inspection, _none);
        _skiaDecoded = SkiaPhotoDecoder.Load(_photo, _inspection, _spec, _none);
        _resized = _imageSharpDecoded.Resize(_spec);
        _rgb = new float[_spec.Width * _spec.Height * 3];
        _tensor = new float[_spec.Length];
        ImageSharpDecodedPhoto.WritePlanes(_resized, _spec, _tensor);
        _features = new float[_model.Descriptor.OutputLength];
        Console.WriteLine(Invariant(
            $"// {Photo}: {_inspection.StoredWidth} x {_inspection.StoredHeight}, {_photo.Length / 1e6:0.00} MB; Skia decodes it at {_skiaDecoded.DecodedWidth} x {_skiaDecoded.DecodedHeight}, ImageSharp at {_imageSharpDecoded.Metadata.Width} x {_imageSharpDecoded.Metadata.Height}"));
    }

    [GlobalSetup(Targets = [nameof(ScoreAndFuse), nameof(LocateAndRoute), nameof(PipelineSkia)])]
    public void SetupSkiaHost()
    {
        SetupPhoto();
        var services = StartHost(ImagingOptions.SkiaDecoder);
        _skiaPipeline = services.GetRequiredService<TriagePipeline>();
        _scorer = services.GetRequiredService<LiveModel>().Current.Scorer;
        _contextPrior = services.GetRequiredService<IContextPrior>();
        _fusion = services.GetRequiredService<EvidenceFusion>();
        _locator = services.GetRequiredService<ILocator>();
        _router = services.GetRequiredService<IQueueRouter>();
        _declared = services.GetRequiredService<Taxonomy>().Find(Declared)
            ?? throw new InvalidOperationException($"'{Declared}' is not a label of the taxonomy");
        _context = _locator.Locate(Place) ?? throw new InvalidOperationException($"{Place} is outside every commune of the layers");

        // The features this photo gets in the service: the host's decoder and model, not PhotoModelRunner (which is changing).
        var model = services.GetRequiredService<IImageModel>();
        _spec = model.Descriptor.Input;
        var tensor = new float[_spec.Length];
        using (var decoded = services.GetRequiredService<IPhotoDecoder>().Decode(_photo, _spec, _none))
        {
            decoded.WriteTensor(_spec, tensor);
        }

        _features = new float[model.Descriptor.OutputLength];
        model.Run(tensor, _features, _none);

        var evidence = _scorer.Score(_features);
        Console.WriteLine($"// {Photo}: context {_context.Commune.Insee} arr {_context.Arrondissement?.Insee ?? "none"}, zones [{string.Join(",", _context.Zones.Select(z => z.Type))}], road {_context.Road?.Owner ?? "none"}; image evidence {(evidence.Informative ? "informative" : "uniform")}: {evidence.Explanation[0]}");
        Describe("skia", _skiaPipeline, services);
    }

    [GlobalSetup(Target = nameof(PipelineImageSharp))]
    public void SetupImageSharpHost()
    {
        SetupPhoto();
        var services = StartHost(ImagingOptions.ImageSharpDecoder);
        _imageSharpPipeline = services.GetRequiredService<TriagePipeline>();
        Describe("imagesharp", _imageSharpPipeline, services);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _resized?.Dispose();
        _skiaDecoded?.Dispose();
        _imageSharpDecoded?.Dispose();
        _rawInput?.Dispose();
        _rawSession?.Dispose();
        _model?.Dispose();
        _runOptions.Dispose();
        foreach (var host in _hosts)
        {
            host.StopAsync().GetAwaiter().GetResult();
            host.Dispose();
        }

        if (_temp is not null && Directory.Exists(_temp))
        {
            Directory.Delete(_temp, recursive: true);
        }
    }

    [Benchmark(Baseline = true, Description = "raw ORT Run, ready tensor")]
    public float RawRun()
    {
        using var results = _rawSession!.Run(_runOptions, _inputNames, [_rawInput], _outputNames);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }

    /// <summary>What both decoders run first: byte limit, format by content, header size and pixel limit, completeness, EXIF.</summary>
    [Benchmark(Description = "identify (PhotoInspector)")]
    public int Identify()
    {
        var inspection = PhotoInspector.Inspect(_photo, _imagingOptions, _configuration, _none);
        return inspection.StoredWidth + inspection.Orientation;
    }

    [Benchmark(Description = "decode ImageSharp (full, Rgb24)")]
    public int DecodeImageSharp()
    {
        using var decoded = _imageSharp.Load(_photo, _inspection, _none);
        return decoded.Metadata.Width;
    }

    /// <summary>At the DCT scale the decoder picks for the model's input (setup prints it).</summary>
    [Benchmark(Description = "decode Skia (DCT-scaled)")]
    public int DecodeSkia()
    {
        using var decoded = SkiaPhotoDecoder.Load(_photo, _inspection, _spec, _none);
        return decoded.DecodedWidth;
    }

    /// <summary>Into a 224 x 224 clone (centre crop), the decoded photo untouched.</summary>
    [Benchmark(Description = "resize ImageSharp (crop, to 224)")]
    public byte ResizeImageSharp()
    {
        using var resized = _imageSharpDecoded!.Resize(_spec);
        return resized[0, 0].R;
    }

    /// <summary>From the DCT-scaled pixels, into plain RGB: the service writes the tensor in this same pass.</summary>
    [Benchmark(Description = "resize Skia (own bilinear, to 224)")]
    public float ResizeSkia()
    {
        _skiaDecoded!.Resize(_spec, _rgb);
        return _rgb[0];
    }

    [Benchmark(Description = "normalise (TensorPlanes, 224x224)")]
    public float Normalise()
    {
        ImageSharpDecodedPhoto.WritePlanes(_resized!, _spec, _tensor);
        return _tensor[^1];
    }

    [Benchmark(Description = "inference (OnnxImageModel.Run)")]
    public float Inference()
    {
        _model!.Run(_tensor, _features, _none);
        return _features[0];
    }

    /// <summary>As the pipeline does it: the host's scorer (a seeded prototype memory), then the context prior and fusion.</summary>
    [Benchmark(Description = "score+fusion (prototypes, prior)")]
    public double ScoreAndFuse()
    {
        var evidence = _scorer.Score(_features);
        var posterior = _fusion.Fuse(evidence, _contextPrior.For(_context), Declared);
        return posterior.Probabilities[_declared.Index];
    }

    [Benchmark(Description = "locate+route (GIS, routing.yaml)")]
    public int LocateAndRoute()
    {
        var context = _locator.Locate(Place)!;
        return _router.Route(new RouteRequest(_declared, context, ReportChannel.App)).Queue.Id.Length;
    }

    [Benchmark(Description = "pipeline Skia (TriageAsync)")]
    public async Task<double> PipelineSkia() => (await _skiaPipeline.TriageAsync(NextReport(), _none)).Confidence;

    [Benchmark(Description = "pipeline ImageSharp (TriageAsync)")]
    public async Task<double> PipelineImageSharp() => (await _imageSharpPipeline.TriageAsync(NextReport(), _none)).Confidence;

    /// <summary>A fresh id each time: the pipeline answers a repeated id from its idempotency cache without running.</summary>
    private TriageReport NextReport() => new()
    {
        ReportId = string.Create(CultureInfo.InvariantCulture, $"bench-{Interlocked.Increment(ref _reportCount)}"),
        Photo = _photo,
        Location = Place,
        DeclaredCategory = Declared,
        Channel = ReportChannel.App,
    };

    private void SetupPhoto()
    {
        if (!BenchmarkPhotos.Available)
        {
            throw new InvalidOperationException($"no shared photos at {BenchmarkPhotos.SharedData}; set FIDAMIA_SHARED_DATA");
        }

        _photo = Photo switch
        {
            "12MP" => BenchmarkPhotos.Phone12MP(),
            "1MP" => BenchmarkPhotos.OneMP(),
            _ => throw new InvalidOperationException($"unknown photo '{Photo}'"),
        };
    }

    /// <summary>
    /// A started host with the server's registrations (Program.cs, less the gRPC layer) and a throw-away data
    /// directory: the model on 1 intra-op thread without spinning like the baseline, the real communes and
    /// arrondissements when the shared data has them plus the demo zones and roads, the README's example context
    /// priors, and a prototype memory seeded from the shared photos through <c>Prototypes:SeedPath</c>.
    /// </summary>
    private IServiceProvider StartHost(string decoder)
    {
        _temp ??= Directory.CreateTempSubdirectory("fidamia-stages-").FullName;
        var root = Path.Combine(_temp, decoder);
        var seed = Path.Combine(root, "seed");
        foreach (var (label, file) in SeedPhotos)
        {
            Directory.CreateDirectory(Path.Combine(seed, label));
            File.Copy(Path.Combine(BenchmarkPhotos.SharedData, "photos", file), Path.Combine(seed, label, file));
        }

        var settings = new Dictionary<string, string?>
        {
            ["DataDirectory"] = Path.Combine(root, "data"),
            ["Imaging:Decoder"] = decoder,
            ["Models:IntraOpThreads"] = "1",
            ["Models:AllowSpinning"] = "false",
            ["Models:Precision"] = Precision.Fp32,
            ["Prototypes:SeedPath"] = seed,
            ["ContextPriors:Zones:park:vegetation"] = "2",
            ["ContextPriors:Road:nid_de_poule"] = "2",
            ["ContextPriors:NoRoad:nid_de_poule"] = "0.3",
        };
        if (File.Exists(GisBenchmarkData.CommunesPath) && File.Exists(GisBenchmarkData.ArrondissementsPath))
        {
            string[][] layers =
            [
                ["communes", "commune", GisBenchmarkData.CommunesPath],
                ["arrondissements", "arrondissement", GisBenchmarkData.ArrondissementsPath],
                ["demo-zones", "zone", GisOptions.DemoZonesPath],
                ["demo-roads", "road", GisOptions.DemoRoadsPath],
            ];
            for (var i = 0; i < layers.Length; i++)
            {
                settings[Invariant($"Gis:Layers:{i}:Name")] = layers[i][0];
                settings[Invariant($"Gis:Layers:{i}:Role")] = layers[i][1];
                settings[Invariant($"Gis:Layers:{i}:Path")] = layers[i][2];
            }
        }

        // No logging providers: the service's console log line per report is not part of what is measured.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddFidamiaCore();
        builder.AddFidamiaImaging();
        builder.AddFidamiaInference();
        builder.AddFidamiaGis();
        builder.AddFidamiaRouting();
        builder.AddFidamiaStorage();
        var host = builder.Build();
        _hosts.Add(host);
        host.StartAsync().GetAwaiter().GetResult();
        return host.Services;
    }

    /// <summary>One report through the pipeline before measuring, so a broken host fails setup, not the first iteration.</summary>
    private void Describe(string name, TriagePipeline pipeline, IServiceProvider services)
    {
        var decision = pipeline.TriageAsync(NextReport(), _none).GetAwaiter().GetResult();
        var memory = services.GetRequiredService<LiveModel>().Current.Scorer as PrototypeMemory;
        Console.WriteLine(Invariant(
            $"// pipeline {name}: decoder {services.GetRequiredService<IPhotoDecoder>().GetType().Name}, {memory?.Count ?? 0} prototype examples; {Photo} → {decision.Status} '{decision.Label?.Code ?? "(none)"}' at {decision.Confidence:0.00}, queue {decision.Queue.Id}: {string.Join(" | ", decision.Explanation)}"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
