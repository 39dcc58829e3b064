using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace TinyImage.Core.Debian;

/// <summary>
/// Checks the OpenPGP cleartext signature of an InRelease file (RFC 4880 section 7) and returns the text it signs,
/// as <c>gpgv</c> and apt do: at least one good signature by a key of the keyring, no bad one, no weak hash, no
/// expired or revoked key.
/// </summary>
/// <remarks>
/// The cleartext framework is split here, strictly (one signed message, nothing before it, only whitespace after
/// it), so the text parsed afterwards is exactly the text whose signature was checked; apt splits it itself for the
/// same reason. BouncyCastle reads the signature packets and checks the cryptography.
/// </remarks>
internal static class InReleaseVerifier
{
    private const string BeginMessage = "-----BEGIN PGP SIGNED MESSAGE-----";
    private const string BeginSignature = "-----BEGIN PGP SIGNATURE-----";
    private const string EndSignature = "-----END PGP SIGNATURE-----";

    /// <summary>Verify returns the signed text of <paramref name="inRelease"/> (LF line ends, dash-escaping removed).</summary>
    /// <param name="sourceName">Names the file in errors (its URL or cache path).</param>
    /// <param name="now">The time keys must not have expired at.</param>
    /// <exception cref="TinyImageException">Not a cleartext-signed file, or no good signature by a key of <paramref name="keyring"/>.</exception>
    public static string Verify(byte[] inRelease, OpenPgpKeyring keyring, string sourceName, DateTimeOffset now)
    {
        var (lines, signatureBlock) = Split(inRelease, sourceName);
        // RFC 4880 7.1: trailing spaces and tabs are not signed, line ends are CR LF, the last line end is not signed.
        var signedLines = lines.Select(l => l.TrimEnd(' ', '\t')).ToList();
        var signedData = Encoding.UTF8.GetBytes(string.Join("\r\n", signedLines));
        var signatures = ReadSignatures(signatureBlock, sourceName);

        var good = new List<string>();
        var unknown = new List<string>();
        foreach (var signature in signatures)
        {
            var keyId = signature.KeyId.ToString("X16");
            var key = keyring.Find(signature.KeyId);
            if (key is null || !IssuerMatches(signature, key))
            {
                unknown.Add(keyId);
                continue;
            }
            if (signature.SignatureType is not (PgpSignature.CanonicalTextDocument or PgpSignature.BinaryDocument))
                throw new TinyImageException($"{sourceName}: the signature by key {keyId} is not a document signature; refusing the file");
            if (signature.HashAlgorithm is not (HashAlgorithmTag.Sha256 or HashAlgorithmTag.Sha384 or HashAlgorithmTag.Sha512 or HashAlgorithmTag.Sha224))
                throw new TinyImageException($"{sourceName}: the signature by key {keyId} uses the weak hash {signature.HashAlgorithm}; refusing the file");
            if (key.HasRevocation())
                throw new TinyImageException($"{sourceName}: key {keyId} of {keyring.Description} is revoked; refusing the file");
            var validSeconds = key.GetValidSeconds();
            if (validSeconds > 0 && key.CreationTime.AddSeconds(validSeconds) < now.UtcDateTime)
                throw new TinyImageException($"{sourceName}: key {keyId} of {keyring.Description} expired on {key.CreationTime.AddSeconds(validSeconds):yyyy-MM-dd}; update the keyring (apt-get install debian-archive-keyring)");
            bool valid;
            try
            {
                signature.InitVerify(key);
                signature.Update(signedData);
                valid = signature.Verify();
            }
            catch (Exception e) when (e is PgpException or ArgumentException or InvalidOperationException)
            {
                valid = false;
            }
            if (!valid)
                throw new TinyImageException($"{sourceName}: BAD signature by key {keyId}: the file was changed after it was signed; refusing it and caching nothing");
            good.Add(keyId);
        }
        if (good.Count == 0)
            throw new TinyImageException(
                $"{sourceName}: no signature by a key of {keyring.Description} (signed by {(unknown.Count == 0 ? "nobody" : string.Join(", ", unknown))}); give the right keyring (Signed-By in the apt source, or the keyring option)");
        return string.Join('\n', signedLines) + "\n";
    }

    /// <summary>A version 4 signature may name its issuer's fingerprint as well as its key id: both must match the key.</summary>
    private static bool IssuerMatches(PgpSignature signature, PgpPublicKey key) =>
        signature.GetHashedSubPackets()?.GetIssuerFingerprint() is not { } issuer ||
        issuer.GetFingerprint().AsSpan().SequenceEqual(key.GetFingerprint());

    /// <summary>The dash-unescaped lines of the signed text and the armored signature block.</summary>
    private static (List<string> Lines, string SignatureBlock) Split(byte[] bytes, string sourceName)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw NotSigned(sourceName, "it is not UTF-8 text");
        }
        var lines = text.Split('\n').Select(l => l.EndsWith('\r') ? l[..^1] : l).ToList();
        if (lines.Count == 0 || lines[0] != BeginMessage) throw NotSigned(sourceName, $"it does not start with '{BeginMessage}'");
        var i = 1;
        for (; i < lines.Count && lines[i].Length > 0; i++)
            if (!lines[i].StartsWith("Hash: ", StringComparison.Ordinal))
                throw NotSigned(sourceName, $"unexpected armor header '{ControlFileReader.Preview(Encoding.UTF8.GetBytes(lines[i]))}'");
        if (i == lines.Count) throw NotSigned(sourceName, "no empty line after the armor headers");
        i++;
        var signed = new List<string>();
        for (; i < lines.Count && lines[i] != BeginSignature; i++)
        {
            var line = lines[i];
            if (line.StartsWith("- ", StringComparison.Ordinal)) line = line[2..];
            else if (line.StartsWith('-')) throw NotSigned(sourceName, $"line {i + 1} starts with '-' without dash-escaping");
            signed.Add(line);
        }
        if (i == lines.Count) throw NotSigned(sourceName, $"no '{BeginSignature}'");
        var end = lines.IndexOf(EndSignature, i);
        if (end < 0) throw NotSigned(sourceName, $"no '{EndSignature}'");
        for (var after = end + 1; after < lines.Count; after++)
            if (!string.IsNullOrWhiteSpace(lines[after])) throw NotSigned(sourceName, $"text after '{EndSignature}' on line {after + 1}");
        return (signed, string.Join('\n', lines.Skip(i).Take(end - i + 1)) + "\n");
    }

    private static List<PgpSignature> ReadSignatures(string block, string sourceName)
    {
        var signatures = new List<PgpSignature>();
        try
        {
            using var armored = new ArmoredInputStream(new MemoryStream(Encoding.ASCII.GetBytes(block), writable: false));
            var factory = new PgpObjectFactory(armored);
            while (factory.NextPgpObject() is { } item)
            {
                if (item is not PgpSignatureList list) throw NotSigned(sourceName, $"the signature block holds a {item.GetType().Name}");
                for (var k = 0; k < list.Count; k++) signatures.Add(list[k]);
            }
        }
        catch (Exception e) when (e is IOException or PgpException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw NotSigned(sourceName, $"its signature block is damaged ({e.Message})");
        }
        if (signatures.Count == 0) throw NotSigned(sourceName, "its signature block holds no signature");
        return signatures;
    }

    private static TinyImageException NotSigned(string sourceName, string why) =>
        new($"{sourceName}: not a valid signed InRelease file: {why}; refusing it and caching nothing");
}
