using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace TinyImage.Tests.Debian;

/// <summary>An OpenPGP key made for a test (Ed25519 or RSA), its public keyring as a file, and cleartext signing as a Debian archive signs InRelease.</summary>
public sealed class TestSigningKey
{
    private readonly PgpKeyPair _pair;
    private readonly PgpPublicKeyRing _publicRing;

    public TestSigningKey(bool rsa = false, string userId = "TinyImage Test Archive <test@invalid>")
    {
        var random = new SecureRandom();
        var created = DateTime.UtcNow.AddDays(-1);
        if (rsa)
        {
            var generator = new RsaKeyPairGenerator();
            generator.Init(new RsaKeyGenerationParameters(Org.BouncyCastle.Math.BigInteger.ValueOf(65537), random, 2048, 25));
            _pair = new PgpKeyPair(PublicKeyAlgorithmTag.RsaGeneral, generator.GenerateKeyPair(), created);
        }
        else
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(random));
            _pair = new PgpKeyPair(PublicKeyAlgorithmTag.EdDsa_Legacy, generator.GenerateKeyPair(), created);
        }
        var ring = new PgpKeyRingGenerator(PgpSignature.PositiveCertification, _pair, userId, SymmetricKeyAlgorithmTag.Aes256,
            HashAlgorithmTag.Sha256, Array.Empty<char>(), false, null, null, random);
        _publicRing = ring.GeneratePublicKeyRing();
    }

    public long KeyId => _pair.KeyId;

    /// <summary>Writes the public keyring (binary, as in /usr/share/keyrings) and returns the path.</summary>
    public string WriteKeyring(string path)
    {
        File.WriteAllBytes(path, _publicRing.GetEncoded());
        return path;
    }

    /// <summary>The InRelease form of <paramref name="text"/>: an OpenPGP cleartext signature (RFC 4880 7).</summary>
    public byte[] SignCleartext(string text, HashAlgorithmTag hash = HashAlgorithmTag.Sha256)
    {
        var lines = text.TrimEnd('\n').Split('\n');
        var generator = new PgpSignatureGenerator(_pair.PublicKey.Algorithm, hash);
        generator.InitSign(PgpSignature.CanonicalTextDocument, _pair.PrivateKey);
        var subpackets = new PgpSignatureSubpacketGenerator();
        subpackets.SetSignatureCreationTime(false, DateTime.UtcNow.AddMinutes(-1));
        subpackets.SetIssuerFingerprint(false, _pair.PublicKey);
        generator.SetHashedSubpackets(subpackets.Generate());
        generator.Update(Encoding.UTF8.GetBytes(string.Join("\r\n", lines.Select(l => l.TrimEnd(' ', '\t')))));
        var signature = generator.Generate();

        var output = new StringBuilder();
        output.Append("-----BEGIN PGP SIGNED MESSAGE-----\nHash: ").Append(hash == HashAlgorithmTag.Sha1 ? "SHA1" : hash.ToString().ToUpperInvariant()).Append("\n\n");
        foreach (var line in lines) output.Append(line.StartsWith('-') ? "- " + line : line).Append('\n');
        using var armored = new MemoryStream();
        using (var armor = ArmoredOutputStream.Build().Build(armored))
            signature.Encode(armor);
        output.Append(Encoding.ASCII.GetString(armored.ToArray()).Replace("\r\n", "\n"));
        return Encoding.UTF8.GetBytes(output.ToString());
    }
}
