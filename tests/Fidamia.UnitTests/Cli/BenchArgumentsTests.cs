extern alias cli;

using cli::Fidamia.Cli.Bench;

namespace Fidamia.UnitTests.Cli;

public class BenchArgumentsTests
{
    [Theory]
    [InlineData("20s", 20_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1.5", 1_500)]
    [InlineData("3", 3_000)]
    [InlineData("0s", 0)]
    [InlineData(" 2S ", 2_000)]
    public void TryParseDuration_KnownUnitOrPlainSeconds_IsThatDuration(string text, double expectedMs)
    {
        Assert.True(BenchArguments.TryParseDuration(text, out var duration));
        Assert.Equal(expectedMs, duration.TotalMilliseconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("abc")]
    [InlineData("3x")]
    [InlineData("-1s")]
    [InlineData("1e3")]
    [InlineData("1,5s")]
    [InlineData(null)]
    public void TryParseDuration_NotADuration_IsRefused(string? text)
    {
        Assert.False(BenchArguments.TryParseDuration(text, out _));
    }

    [Theory]
    [InlineData("1,2,4,8,16", new[] { 1, 2, 4, 8, 16 })]
    [InlineData("4", new[] { 4 })]
    [InlineData(" 1, 2 ", new[] { 1, 2 })]
    [InlineData("8,1", new[] { 8, 1 })]
    public void TryParseLevels_CommaListOfPositiveIntegers_IsThoseLevelsInOrder(string text, int[] expected)
    {
        Assert.True(BenchArguments.TryParseLevels(text, out var levels));
        Assert.Equal(expected, levels);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("1,,2")]
    [InlineData("1,-2")]
    [InlineData("1.5")]
    [InlineData("a,b")]
    [InlineData("1,2,")]
    public void TryParseLevels_AnythingElse_IsRefused(string text)
    {
        Assert.False(BenchArguments.TryParseLevels(text, out _));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://127.1.2.3:5080")]
    [InlineData("http://[::1]:5080")]
    [InlineData("http://localhost:5080")]
    [InlineData("https://LOCALHOST")]
    public void TryParseLoopbackServer_ThisMachine_IsAccepted(string text)
    {
        Assert.True(BenchArguments.TryParseLoopbackServer(text, out var server, out var error), error);
        Assert.Equal(new Uri(text), server);
    }

    [Theory]
    [InlineData("http://10.0.0.1:5080")]
    [InlineData("http://example.org")]
    [InlineData("http://localhost.example.org:5080")]
    [InlineData("http://[2001:db8::1]:5080")]
    [InlineData("http://0.0.0.0:5080")]
    public void TryParseLoopbackServer_AnotherMachine_IsRefusedNamingLoopback(string text)
    {
        Assert.False(BenchArguments.TryParseLoopbackServer(text, out _, out var error));
        Assert.Contains("not a loopback address", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5080")]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("")]
    public void TryParseLoopbackServer_NotAnHttpAddress_IsRefusedNamingTheOption(string text)
    {
        Assert.False(BenchArguments.TryParseLoopbackServer(text, out _, out var error));
        Assert.StartsWith("--server must be an http:// or https:// address", error, StringComparison.Ordinal);
    }
}
