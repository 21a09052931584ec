using Fidamia.Core;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;
using Fidamia.Imaging;
using Fidamia.Inference;
using Fidamia.Tests;
using Fidamia.UnitTests.Core;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Inference;

/// <summary>
/// The default int8 version is built at load, in memory, from the fp32 model of the NuGet package and the
/// committed calibration ranges; the two precisions must be interchangeable for the prototype memory.
/// </summary>
public sealed class Int8ModelTests
{
    private static readonly string Models = Path.Combine(AppContext.BaseDirectory, "models");
    private readonly InferenceOptions _options = new() { IntraOpThreads = 1 };

    [Fact]
    public void Load_DefaultInt8Version_IsBuiltFromTheFp32ModelAndTheCommittedRanges()
    {
        using var int8 = OnnxImageModel.Load(Path.Combine(Models, "resnet18", "2"), _options);
        using var fp32 = OnnxImageModel.Load(Path.Combine(Models, "resnet18", "1"), _options);

        Assert.Equal("int8", int8.Precision);
        Assert.Equal("fp32", fp32.Precision);
        Assert.Contains("resnet18/1", int8.DerivedAtLoad, StringComparison.Ordinal);
        Assert.Null(fp32.DerivedAtLoad);
        Assert.Equal(fp32.Descriptor.Input with { Mean = [], Std = [] }, int8.Descriptor.Input with { Mean = [], Std = [] });
        Assert.Equal(fp32.Descriptor.Input.Mean, int8.Descriptor.Input.Mean);
        Assert.Equal(fp32.Descriptor.OutputLength, int8.Descriptor.OutputLength);
    }

    [Fact]
    public void Choose_Int8Precision_PicksTheDefaultInt8Version()
    {
        var (directory, precision, _) = new ModelRepository(Models).Choose(new InferenceOptions { Precision = "int8" });

        Assert.Equal(("int8", Path.Combine(Models, "resnet18", "2")), (precision, directory));
    }

    [Fact]
    public void Load_DerivedVersionWithoutItsCalibration_FailsNamingIt()
    {
        var root = Directory.CreateTempSubdirectory("fidamia-int8-").FullName;
        try
        {
            var source = Directory.CreateDirectory(Path.Combine(root, "resnet18", "1")).FullName;
            File.Copy(Path.Combine(Models, "resnet18", "1", "manifest.json"), Path.Combine(source, "manifest.json"));
            File.CreateSymbolicLink(Path.Combine(source, "model.onnx"), Path.Combine(Models, "resnet18", "1", "model.onnx"));
            var derived = Directory.CreateDirectory(Path.Combine(root, "resnet18", "2")).FullName;
            File.Copy(Path.Combine(Models, "resnet18", "2", "manifest.json"), Path.Combine(derived, "manifest.json"));

            var error = Assert.Throws<ModelLoadException>(() => OnnxImageModel.Load(derived, _options));

            Assert.Contains("calibration", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [SharedDataFact]
    public void Run_SharedPhotos_Int8FeaturesWithinCosine099OfFp32()
    {
        var (fp32, int8) = Features();

        foreach (var (name, vector) in fp32)
        {
            Assert.True(VectorMath.Cosine(vector, int8[name]) >= 0.99, $"{name}: cosine {VectorMath.Cosine(vector, int8[name]):0.0000}");
        }
    }

    [SharedDataFact]
    public void Score_MemoryBuiltWithOnePrecision_AnswersTheOtherPrecisionAlike()
    {
        var (fp32, int8) = Features();
        var taxonomy = TestTaxonomy.Shipped();
        var labels = new[] { "nid_de_poule", "graffiti", "vegetation" };
        var names = fp32.Keys.Order(StringComparer.Ordinal).ToList();
        string LabelOf(string name) => labels[names.IndexOf(name) % labels.Length];

        foreach (var (built, asked) in new[] { (fp32, int8), (int8, fp32) })
        {
            var memory = new PrototypeMemory(taxonomy, Options.Create(new PrototypeOptions { OpenSetThreshold = 0 }), 512);
            memory.Add(names.Select(n => new PrototypeExample(n, LabelOf(n), built[n])));

            foreach (var name in names)
            {
                var same = memory.Score(built[name]);
                var other = memory.Score(asked[name]);
                var best = Array.IndexOf(same.Probabilities, same.Probabilities.Max());
                Assert.Equal(best, Array.IndexOf(other.Probabilities, other.Probabilities.Max()));
                Assert.Equal(same.Probabilities[best], other.Probabilities[best], 0.05);
            }
        }
    }

    private (Dictionary<string, float[]> Fp32, Dictionary<string, float[]> Int8) Features()
    {
        using var fp32 = OnnxImageModel.Load(Path.Combine(Models, "resnet18", "1"), _options);
        using var int8 = OnnxImageModel.Load(Path.Combine(Models, "resnet18", "2"), _options);
        var decoder = new SkiaPhotoDecoder(Options.Create(new ImagingOptions()));
        var spec = fp32.Descriptor.Input;
        var a = new Dictionary<string, float[]>();
        var b = new Dictionary<string, float[]>();
        foreach (var file in Directory.EnumerateFiles(SharedData.PhotosDirectory).Order(StringComparer.Ordinal))
        {
            var tensor = new float[spec.Length];
            using (var decoded = decoder.Decode(File.ReadAllBytes(file), spec, CancellationToken.None))
            {
                decoded.WriteTensor(spec, tensor);
            }

            var name = Path.GetFileName(file);
            a[name] = new float[512];
            b[name] = new float[512];
            fp32.Run(tensor, a[name], CancellationToken.None);
            int8.Run(tensor, b[name], CancellationToken.None);
        }

        return (a, b);
    }
}
