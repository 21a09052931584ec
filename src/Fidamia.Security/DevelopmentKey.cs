using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Fidamia.Security;

/// <summary>
/// The development signing key: a random 256-bit HMAC key kept as a JSON Web Key, readable by its owner only. The
/// service makes it at first start; <c>fidamia token</c> signs with it. Never for production (the service refuses it there).
/// </summary>
public static class DevelopmentKey
{
    /// <summary>The issuer of development tokens.</summary>
    public const string Issuer = "fidamia-development";

    public const string FileName = "development-key.json";

    /// <summary>Reads the key at <paramref name="path"/>, making it first when there is none.</summary>
    public static SymmetricSecurityKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var jwk = new JsonWebKey
            {
                Kty = JsonWebAlgorithmsKeyTypes.Octet,
                K = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)),
                Kid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                Alg = SecurityAlgorithms.HmacSha256,
            };
            var temporary = path + ".tmp-" + Environment.ProcessId;
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(file, new Dictionary<string, string> { ["kty"] = jwk.Kty, ["alg"] = jwk.Alg, ["kid"] = jwk.Kid, ["k"] = jwk.K });
            }

            // Two processes starting together: the first key in place wins, and both use it.
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }

        return Load(path);
    }

    /// <summary>Reads the key at <paramref name="path"/>.</summary>
    public static SymmetricSecurityKey Load(string path)
    {
        JsonWebKey jwk;
        try
        {
            jwk = new JsonWebKey(File.ReadAllText(path));
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{path} is not a JSON Web Key: {ex.Message}", ex);
        }

        if (jwk.Kty != JsonWebAlgorithmsKeyTypes.Octet || string.IsNullOrEmpty(jwk.K))
        {
            throw new InvalidDataException($"{path} is not a symmetric (\"oct\") JSON Web Key");
        }

        var bytes = Base64UrlEncoder.DecodeBytes(jwk.K);
        if (bytes.Length < 32)
        {
            throw new InvalidDataException($"{path} holds a key of {bytes.Length * 8} bits; at least 256 are needed");
        }

        return new SymmetricSecurityKey(bytes) { KeyId = jwk.Kid };
    }
}
