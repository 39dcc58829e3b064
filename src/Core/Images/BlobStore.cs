using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Images;

/// <summary>
/// The content-addressed store of base images' blobs (<c>$TINYRUN_CACHE/blobs/sha256/HEX</c>): a blob is written to a
/// temporary name, hashed as it is written, and renamed into place only when its digest (and size, when known) is the
/// one asked for, so what is in the store is always what its name says. Beside the blobs, <c>refs/</c> remembers which
/// manifest a tag named when it was last pulled, so a build works offline.
/// </summary>
public sealed class BlobStore
{
    private const int BufferSize = 128 * 1024;

    /// <param name="directory">The store's directory; null: <c>blobs</c> in <see cref="CacheLocation.Root"/>.</param>
    public BlobStore(string? directory = null)
    {
        Directory = PrivateDirectory.Ensure(directory ?? Path.Combine(CacheLocation.Root(), "blobs"), "the blob cache",
            "set TINYRUN_CACHE to a directory of your own");
    }

    public string Directory { get; }

    /// <summary>Where the blob <paramref name="digest"/> is (or would be) kept.</summary>
    public string PathOf(Digest digest) => Path.Combine(Directory, "sha256", digest.Hex);

    /// <summary>Whether the store holds <paramref name="digest"/> (with <paramref name="size"/> bytes, when given).</summary>
    public bool Contains(Digest digest, long? size = null) =>
        HostFileStatus.Of(PathOf(digest)) is { IsFile: true } status && (size is null || status.Size == size);

    /// <summary>
    /// Copies <paramref name="source"/> into the store and returns its digest and size. With <paramref name="expected"/>
    /// (and <paramref name="expectedSize"/>), anything else is refused and nothing is kept: a longer stream is cut at the
    /// size, so a lying source costs no more than the real blob.
    /// </summary>
    /// <param name="what">What the blob is, for errors: "layer sha256:… of registry:5000/base:1".</param>
    public async Task<(Digest Digest, long Size)> AddAsync(Stream source, Digest? expected, long? expectedSize, string what, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Directory, "sha256");
        System.IO.Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetRandomFileName() + ".tmp");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
            await using (file.ConfigureAwait(false))
            {
                var buffer = new byte[BufferSize];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    size += read;
                    if (size > expectedSize)
                        throw new TinyImageException($"{what} is larger than the {expectedSize} bytes its descriptor gives; it is damaged or was replaced");
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            var digest = Digest.FromHash(hash.GetHashAndReset());
            if (expectedSize is { } wanted && size != wanted)
                throw new TinyImageException($"{what} is {size} bytes, not the {wanted} its descriptor gives; it is damaged or incomplete");
            if (expected is { } want && digest != want)
                throw new TinyImageException($"{what} has digest {digest}, not {want}; it is damaged or was replaced, and was not kept");
            File.Move(temp, PathOf(digest), overwrite: true);
            return (digest, size);
        }
        finally
        {
            TemporaryFiles.TryDelete(temp);
        }
    }

    /// <summary>Stores a small document (a manifest, a config) held in memory; returns its digest.</summary>
    public async Task<Digest> AddAsync(ReadOnlyMemory<byte> document, string what, CancellationToken cancellationToken)
    {
        var digest = Digest.Compute(document.Span);
        if (Contains(digest, document.Length)) return digest;
        using var stream = new MemoryStream(document.ToArray(), writable: false);
        return (await AddAsync(stream, digest, document.Length, what, cancellationToken).ConfigureAwait(false)).Digest;
    }

    /// <summary>The bytes of a small stored document, or null when the store lacks it (or it is not the digest it is named by).</summary>
    public byte[]? ReadDocument(Digest digest, int limit)
    {
        var path = PathOf(digest);
        if (HostFileStatus.Of(path) is not { IsFile: true } status || status.Size > limit) return null;
        var bytes = File.ReadAllBytes(path);
        return Digest.Compute(bytes) == digest ? bytes : null;
    }

    /// <summary>The manifest digest <paramref name="reference"/> (with <paramref name="platform"/>) named when it was last resolved, or null.</summary>
    public Digest? ReadReference(string reference, string platform)
    {
        var path = ReferencePath(reference, platform);
        if (HostFileStatus.Of(path) is not { IsFile: true, Size: < 256 }) return null;
        return Digest.TryParse(File.ReadAllText(path).Trim(), out var digest) ? digest : null;
    }

    /// <summary>Remembers that <paramref name="reference"/> (with <paramref name="platform"/>) names <paramref name="manifest"/>.</summary>
    public void WriteReference(string reference, string platform, Digest manifest)
    {
        var path = ReferencePath(reference, platform);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Path.GetRandomFileName() + ".tmp";
        try
        {
            File.WriteAllText(temp, manifest + "\n");
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            TemporaryFiles.TryDelete(temp);
        }
    }

    private string ReferencePath(string reference, string platform) =>
        Path.Combine(Directory, "refs", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference + "\n" + platform))));
}
