using System.Text.Json.Nodes;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Inference;

namespace Fidamia.UnitTests.Inference;

/// <summary>Manifest checks against the real default model (copied into the output by the build from its NuGet package).</summary>
public sealed class ModelRepositoryTests : IDisposable
{
    private static readonly string ShippedVersion = Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "1");
    private readonly string _root = Directory.CreateTempSubdirectory("fidamia-models-").FullName;
    private readonly InferenceOptions _options = new() { IntraOpThreads = 1 };

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A version folder holding the shipped model (linked, not copied: 64 MB) and an edited manifest.</summary>
    private string Version(string name, string version, Action<JsonObject>? edit = null)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, name, version)).FullName;
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(ShippedVersion, "manifest.json")))!.AsObject();
        manifest["name"] = name;
        manifest["version"] = version;
        edit?.Invoke(manifest);
        File.WriteAllText(Path.Combine(directory, "manifest.json"), manifest.ToJsonString());
        File.CreateSymbolicLink(Path.Combine(directory, "model.onnx"), Path.Combine(ShippedVersion, "model.onnx"));
        return directory;
    }

    [Fact]
    public void Load_ShippedModel_DescribesResNet18Features()
    {
        using var model = OnnxImageModel.Load(ShippedVersion, _options);

        var d = model.Descriptor;
        Assert.Equal(("resnet18", "1", ModelKind.Embedding, ModelOutputKind.Embedding, 512), (d.Name, d.Version, d.Kind, d.OutputKind, d.OutputLength));
        Assert.Equal((224, 224, ColorOrder.Bgr, ResizeMode.CenterCrop), (d.Input.Width, d.Input.Height, d.Input.ColorOrder, d.Input.ResizeMode));
        Assert.Equal(103.063f, d.Input.Mean[0]);
    }

    [Fact]
    public void Run_SameInputTwice_GivesTheSameNonNegativeFeatures()
    {
        using var model = OnnxImageModel.Load(ShippedVersion, _options);
        var input = new float[model.Descriptor.Input.Length];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (i % 251) - 120f;
        }

        var a = new float[512];
        var b = new float[512];
        model.Run(input, a, CancellationToken.None);
        model.Run(input, b, CancellationToken.None);

        Assert.Equal(a, b);
        Assert.All(a, v => Assert.True(v >= 0)); // pooled ReLU features
        Assert.Contains(a, v => v > 0);
    }

    [Fact]
    public void Run_CancelledToken_Throws()
    {
        using var model = OnnxImageModel.Load(ShippedVersion, _options);

        Assert.Throws<OperationCanceledException>(() =>
            model.Run(new float[model.Descriptor.Input.Length], new float[512], new CancellationToken(canceled: true)));
    }

    [Theory]
    [InlineData("input.name", "input", "name", "data")]
    [InlineData("input.height", "input", "height", 256)]
    [InlineData("input.width", "input", "width", 300)]
    [InlineData("output.name", "output", "name", "logits")]
    [InlineData("input.colorOrder", "input", "colorOrder", "cmyk")]
    [InlineData("input.resize", "input", "resize", "squash")]
    public void Load_ManifestDisagreeingWithTheModel_FailsNamingTheField(string field, string section, string key, object value)
    {
        var directory = Version("edited", "1", m => m[section]![key] = JsonValue.Create(value));

        var ex = Assert.Throws<ModelLoadException>(() => OnnxImageModel.Load(directory, _options));

        Assert.Contains(field + ":", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ClassifierWithWrongLabelCount_FailsNamingLabels()
    {
        var directory = Version("classifier", "1", m =>
        {
            m["kind"] = "classifier";
            m["output"]!["kind"] = "logits";
            m["labels"] = new JsonArray("graffiti", "nid_de_poule");
        });

        var ex = Assert.Throws<ModelLoadException>(() => OnnxImageModel.Load(directory, _options));

        Assert.Contains("labels: 2 labels for 512 model outputs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingModelFile_FailsNamingFile()
    {
        var directory = Version("nofile", "1", m => m["file"] = "absent.onnx");

        var ex = Assert.Throws<ModelLoadException>(() => OnnxImageModel.Load(directory, _options));

        Assert.Contains("file: 'absent.onnx'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownManifestField_IsRefusedRatherThanIgnored()
    {
        var directory = Version("typo", "1", m => m["thresold"] = new JsonObject());

        var ex = Assert.Throws<ModelLoadException>(() => OnnxImageModel.Load(directory, _options));

        Assert.Contains("thresold", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NumericVersions_PicksTheHighestNumerically()
    {
        Version("m", "2");
        Version("m", "10");
        Version("m", "9");
        var repository = new ModelRepository(_root);

        Assert.Equal(["2", "9", "10"], repository.Versions("m"));
        Assert.Equal(Path.Combine(_root, "m", "10"), repository.Resolve("m", null));
        Assert.Equal(Path.Combine(_root, "m", "9"), repository.Resolve("m", "9"));
    }

    [Fact]
    public void Resolve_UnknownModelOrVersion_SaysWhatThereIs()
    {
        Version("m", "1");
        var repository = new ModelRepository(_root);

        var noModel = Assert.Throws<ModelLoadException>(() => repository.Resolve("other", null));
        var noVersion = Assert.Throws<ModelLoadException>(() => repository.Resolve("m", "7"));

        Assert.Contains("models there: m", noModel.Message, StringComparison.Ordinal);
        Assert.Contains("it has 1", noVersion.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fp32", "3")]
    [InlineData("int8", "2")]
    public void Resolve_Precision_PicksTheHighestVersionOfThatPrecision(string precision, string expected)
    {
        Version("m", "1");
        Version("m", "2", m => m["precision"] = "int8");
        Version("m", "3", m => m["precision"] = "fp32");

        var directory = new ModelRepository(_root).Resolve("m", null, precision);

        Assert.Equal(Path.Combine(_root, "m", expected), directory);
    }

    [Fact]
    public void Choose_Int8AskedButNoInt8Version_FailsNamingTheSettingAndListingWhatThereIs()
    {
        Version("m", "1");

        var error = Assert.Throws<ModelLoadException>(() =>
            new ModelRepository(_root).Choose(new InferenceOptions { Default = "m", Precision = "int8" }));

        Assert.Contains("Models:Precision", error.Message, StringComparison.Ordinal);
        Assert.Contains("1 (fp32)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_AutoWithoutTheChosenPrecision_FallsBackToTheHighestVersion()
    {
        Version("m", "1");
        Version("m", "2");

        var (directory, precision, reason) = new ModelRepository(_root).Choose(new InferenceOptions { Default = "m", Precision = "auto" });

        Assert.Contains(precision, new[] { "fp32", "int8" });
        Assert.StartsWith("auto:", reason, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(_root, "m", "2"), directory);
    }

    [Fact]
    public void Choose_ExplicitVersion_WinsOverPrecision()
    {
        Version("m", "1");
        Version("m", "2", m => m["precision"] = "int8");

        var (directory, _, _) = new ModelRepository(_root).Choose(new InferenceOptions { Default = "m", Version = "1", Precision = "int8" });

        Assert.Equal(Path.Combine(_root, "m", "1"), directory);
    }

    [Fact]
    public void Load_ManifestWithDerivedFromAndCalibration_LoadsAndSavesTheSameFields()
    {
        var directory = Version("q", "2", m =>
        {
            m["precision"] = "int8";
            m["derivedFrom"] = "resnet18/1";
            m["calibration"] = new JsonObject { ["file"] = "calibration.json", ["method"] = "percentile-99.999", ["photos"] = 7 };
        });

        var manifest = ModelManifest.Load(Path.Combine(directory, "manifest.json"));
        var copy = Path.Combine(_root, "copy.json");
        manifest.Save(copy);
        var again = ModelManifest.Load(copy);

        Assert.Empty(manifest.Problems());
        Assert.Equal(("resnet18/1", "calibration.json", "percentile-99.999", 7), (again.DerivedFrom, again.Calibration!.File, again.Calibration.Method, again.Calibration.Photos));
        Assert.DoesNotContain("maxBatchSize", File.ReadAllText(copy), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("derivedFrom", "resnet18")]
    [InlineData("calibration.photos", 0)]
    public void Problems_BadDerivationFields_NameTheField(string field, object value)
    {
        var directory = Version("bad", "2", m =>
        {
            m["derivedFrom"] = field == "derivedFrom" ? JsonValue.Create(value) : "resnet18/1";
            m["calibration"] = new JsonObject { ["file"] = "calibration.json", ["method"] = "minmax", ["photos"] = field == "calibration.photos" ? JsonValue.Create(value) : 7 };
        });

        var problems = ModelManifest.Load(Path.Combine(directory, "manifest.json")).Problems();

        Assert.Contains(problems, p => p.StartsWith(field + ":", StringComparison.Ordinal));
    }
}
