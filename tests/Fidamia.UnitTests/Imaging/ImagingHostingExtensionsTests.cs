using Fidamia.Core.Imaging;
using Fidamia.Imaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Imaging;

public sealed class ImagingHostingExtensionsTests
{
    private static IHost Build(params (string Key, string Value)[] settings)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.AddFidamiaImaging();
        return builder.Build();
    }

    [Fact]
    public void AddFidamiaImaging_Configured_BindsOptionsAndRegistersDecoder()
    {
        using var host = Build(("Imaging:MaxPhotoBytes", "1048576"), ("Imaging:MaxPixels", "1000000"), ("Imaging:Decoder", "imagesharp"));

        var options = host.Services.GetRequiredService<IOptions<ImagingOptions>>().Value;
        Assert.Equal(1_048_576, options.MaxPhotoBytes);
        Assert.Equal(1_000_000, options.MaxPixels);
        Assert.IsType<ImageSharpPhotoDecoder>(host.Services.GetRequiredService<IPhotoDecoder>());
        Assert.Same(host.Services.GetRequiredService<IPhotoDecoder>(), host.Services.GetRequiredService<IPhotoDecoder>());
    }

    [Theory]
    [InlineData("Imaging:MaxPhotoBytes", "0")]
    [InlineData("Imaging:MaxPixels", "-1")]
    public void AddFidamiaImaging_OutOfRangeOption_FailsValidation(string key, string value)
    {
        using var host = Build((key, value));

        Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ImagingOptions>>().Value);
    }

    [Fact]
    public void AddFidamiaImaging_Default_RegistersSkiaWhereItLoads()
    {
        using var host = Build();

        Assert.Equal("skia", host.Services.GetRequiredService<IOptions<ImagingOptions>>().Value.Decoder);
        Assert.IsType<SkiaPhotoDecoder>(host.Services.GetRequiredService<IPhotoDecoder>());
    }

    [Fact]
    public void AddFidamiaImaging_ImageSharpConfigured_RegistersImageSharp()
    {
        using var host = Build(("Imaging:Decoder", "imagesharp"));

        Assert.IsType<ImageSharpPhotoDecoder>(host.Services.GetRequiredService<IPhotoDecoder>());
    }

    [Fact]
    public void AddFidamiaImaging_UnknownDecoder_FailsValidation()
    {
        using var host = Build(("Imaging:Decoder", "gdi"));

        Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ImagingOptions>>().Value);
    }
}
