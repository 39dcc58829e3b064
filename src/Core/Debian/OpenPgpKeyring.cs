using System.Text;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace TinyImage.Core.Debian;

/// <summary>
/// The public keys that may sign a suite's InRelease: apt's Signed-By keyrings (binary <c>.gpg</c> or armored
/// <c>.asc</c> files, or an armored block written in the source itself), read with BouncyCastle.
/// </summary>
internal sealed class OpenPgpKeyring
{
    private const long MaxKeyringBytes = 16 << 20;

    private readonly List<PgpPublicKeyRingBundle> _bundles;

    private OpenPgpKeyring(string description, List<PgpPublicKeyRingBundle> bundles)
    {
        Description = description;
        _bundles = bundles;
    }

    /// <summary>Description names where the keys come from, for messages.</summary>
    public string Description { get; }

    /// <summary>Find returns the public key (primary or subkey) with <paramref name="keyId"/>, or null.</summary>
    public PgpPublicKey? Find(long keyId)
    {
        foreach (var bundle in _bundles)
            if (bundle.GetPublicKey(keyId) is { } key) return key;
        return null;
    }

    /// <summary>Load reads keyring files (binary or armored).</summary>
    /// <exception cref="TinyImageException">A file that is missing, too large or not an OpenPGP keyring.</exception>
    public static OpenPgpKeyring Load(IReadOnlyList<string> paths)
    {
        var bundles = new List<PgpPublicKeyRingBundle>();
        foreach (var path in paths)
        {
            byte[] bytes;
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists) throw new TinyImageException($"the keyring '{path}' does not exist; install it (apt-get install debian-archive-keyring) or name another with the keyring option");
                if (info.Length > MaxKeyringBytes) throw new TinyImageException($"'{path}' is larger than {MaxKeyringBytes >> 20} MiB; it is not a keyring");
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TinyImageException($"cannot read the keyring '{path}': {e.Message}", e);
            }
            bundles.Add(Parse(bytes, path));
        }
        return new OpenPgpKeyring(string.Join(", ", paths), bundles);
    }

    /// <summary>FromArmored reads a key block written inside an apt source (<c>Signed-By:</c> followed by the block).</summary>
    public static OpenPgpKeyring FromArmored(string block, string description) =>
        new(description, [Parse(Encoding.ASCII.GetBytes(block), description)]);

    private static PgpPublicKeyRingBundle Parse(byte[] bytes, string name)
    {
        try
        {
            using var decoder = PgpUtilities.GetDecoderStream(new MemoryStream(bytes, writable: false));
            var bundle = new PgpPublicKeyRingBundle(decoder);
            if (bundle.Count == 0) throw new TinyImageException($"the keyring '{name}' holds no public key");
            return bundle;
        }
        catch (Exception e) when (e is PgpException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new TinyImageException($"'{name}' is not an OpenPGP keyring: {e.Message}", e);
        }
    }
}
