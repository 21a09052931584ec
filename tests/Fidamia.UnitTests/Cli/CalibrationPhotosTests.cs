extern alias cli;

using cli::Fidamia.Cli.Model;

namespace Fidamia.UnitTests.Cli;

public sealed class CalibrationPhotosTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fidamia-calib-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void HeldOut_TenPhotosThirty_HoldsOutTheLastOfEachThird()
    {
        var split = CalibrationPhotos.HeldOut(10, 0.3);

        Assert.Equal([3, 6, 9], Enumerable.Range(0, 10).Where(i => split[i]));
    }

    [Theory]
    [InlineData(2, 0.01, 1)]
    [InlineData(2, 0.99, 1)]
    [InlineData(5, 0.5, 3)]
    [InlineData(100, 0.1, 10)]
    public void HeldOut_AnyFraction_KeepsAtLeastOnePhotoOnEachSide(int count, double fraction, int heldOut)
    {
        Assert.Equal(heldOut, CalibrationPhotos.HeldOut(count, fraction).Count(h => h));
    }

    [Fact]
    public void List_ImageFolder_TakesPhotosRecursivelySortedByRelativePath()
    {
        foreach (var file in new[] { "b/2.jpg", "a/1.PNG", "a/notes.txt", "top.webp", "b/1.jpeg" })
        {
            var path = Path.Combine(_root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "");
        }

        Assert.Equal(["a/1.PNG", "b/1.jpeg", "b/2.jpg", "top.webp"], CalibrationPhotos.List(_root));
    }
}
