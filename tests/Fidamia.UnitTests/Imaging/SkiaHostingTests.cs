using Fidamia.Core.Imaging;
using Fidamia.Imaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Imaging;

public sealed class SkiaHostingTests
{
    private static IHost Build(params (string Key, string Value)[] settings)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.AddFidamiaImaging();
        return builder.Build();
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
