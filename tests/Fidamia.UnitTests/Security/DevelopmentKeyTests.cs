using Fidamia.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Fidamia.UnitTests.Security;

public sealed class DevelopmentKeyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fidamia-key-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task TheKeyIsMadeOnce_ReadableByItsOwnerOnly_AndSignsTokensThatValidate()
    {
        var path = Path.Combine(_folder, "sub", DevelopmentKey.FileName);
        var made = DevelopmentKey.LoadOrCreate(path);
        var again = DevelopmentKey.LoadOrCreate(path);
        var token = DevelopmentTokens.Mint(made, "operator-1", ["review", "review", "queue:voirie"], TimeSpan.FromMinutes(5));

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = DevelopmentKey.Issuer,
            ValidAudience = "fidamia",
            IssuerSigningKey = again,
        });

        Assert.Equal(made.Key, again.Key);
        Assert.Equal(256, made.KeySize);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("operator-1", result.Claims["sub"]);
        Assert.Equal(2, ((System.Collections.IList)result.Claims["roles"]).Count);
    }

    [Fact]
    public void AFileThatIsNoSymmetricKeyOfAtLeast256Bits_IsRefusedWithItsPath()
    {
        var shortKey = Path.Combine(_folder, "short.json");
        File.WriteAllText(shortKey, """{"kty":"oct","k":"AAAA"}""");
        var notAKey = Path.Combine(_folder, "garbage.json");
        File.WriteAllText(notAKey, "garbage");

        Assert.Contains("at least 256", Assert.Throws<InvalidDataException>(() => DevelopmentKey.Load(shortKey)).Message, StringComparison.Ordinal);
        Assert.Contains(notAKey, Assert.Throws<InvalidDataException>(() => DevelopmentKey.Load(notAKey)).Message, StringComparison.Ordinal);
    }
}
