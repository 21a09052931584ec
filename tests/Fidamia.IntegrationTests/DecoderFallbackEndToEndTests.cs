using Fidamia.Tests;

namespace Fidamia.IntegrationTests;

/// <summary>
/// Where Skia's native library cannot load (another libc, a trimmed image), the service must
/// still start and decode with ImageSharp, saying so once.
/// </summary>
public sealed class DecoderFallbackEndToEndTests : IDisposable
{
    private readonly string _copy = Directory.CreateTempSubdirectory("fidamia-noskia-").FullName;

    public void Dispose() => Directory.Delete(_copy, recursive: true);

    [SharedDataFact]
    public async Task Triage_NativeSkiaMissing_FallsBackToImageSharpWithAWarningAndTriages()
    {
        var serverDll = CopyServerWithoutSkia();
        await using var server = await ServerProcess.StartFromAsync(serverDll, $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}");

        var response = await server.Client.TriageAsync(Requests.Report(TestPhotos.Shared("building.jpg")));

        Assert.Equal("jpeg", response.Photo.Format);
        Assert.Contains("The native Skia library does not load here; photos are decoded with ImageSharp instead", server.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_copy, "libSkiaSharp*", SearchOption.AllDirectories));
    }

    /// <summary>The server's build output without any libSkiaSharp; the 64 MB model is linked, not copied.</summary>
    private string CopyServerWithoutSkia()
    {
        var build = Path.GetDirectoryName(ServerProcess.BuildOutput("Fidamia.Server", "Fidamia.Server.dll"))!;
        foreach (var file in Directory.EnumerateFiles(build, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(build, file);
            if (Path.GetFileName(file).StartsWith("libSkiaSharp", StringComparison.Ordinal)
                || (relative.StartsWith("runtimes", StringComparison.Ordinal) && !relative.Contains("linux-x64", StringComparison.Ordinal)))
            {
                continue;
            }

            var target = Path.Combine(_copy, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (relative.EndsWith(".onnx", StringComparison.Ordinal))
            {
                File.CreateSymbolicLink(target, file);
            }
            else
            {
                File.Copy(file, target);
            }
        }

        return Path.Combine(_copy, "Fidamia.Server.dll");
    }
}
