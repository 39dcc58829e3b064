using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Debian;

/// <summary>
/// The content-addressed cache of Debian data: verified Packages indexes, .deb files, unpacked packages and
/// materialized roots, each under the SHA-256 that names it. Everything is written under a temporary name (in
/// <c>tmp/</c>, on the same file system) and renamed into place only once verified, so nothing unverified or
/// half-written is ever found under a final name.
/// </summary>
/// <remarks>
/// Layout: <c>indexes/HEX</c> (a decompressed Packages file), <c>releases/KEY/InRelease</c> (the last verified InRelease
/// of a mirror and suite, checked again when read), <c>debs/HEX.deb</c>, <c>unpacked/HEX/</c> (see
/// <see cref="DebUnpacker"/>), <c>roots/KEY/</c> (see <see cref="PackageRoot"/>). Nothing is evicted: delete the
/// directory to reclaim the space.
/// </remarks>
public sealed class DebianCache
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <param name="directory">The cache's directory, e.g. <see cref="DefaultDirectory"/>; created (0700) when first written.</param>
    public DebianCache(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>Directory is the cache's directory.</summary>
    public string Directory { get; }

    /// <summary><c>debian/</c> under the runner's cache root: <c>$TINYRUN_CACHE</c>, else <c>$XDG_CACHE_HOME/tinyrun</c>, else <c>~/.cache/tinyrun</c>.</summary>
    public static string DefaultDirectory() => Path.Combine(CacheLocation.Root(), "debian");

    internal string IndexPath(string key) => Path.Combine(Prepare("indexes"), key);

    internal string ReleasePath(Uri mirror, string suite)
    {
        var key = Sha256Hex.Of(SHA256.HashData(Encoding.UTF8.GetBytes(mirror.AbsoluteUri + "\n" + suite)))[..32];
        return Path.Combine(Prepare(Path.Combine("releases", key)), "InRelease");
    }

    internal string DebPath(string sha256) => Path.Combine(Prepare("debs"), sha256 + ".deb");

    internal string UnpackedPath(string sha256) => Path.Combine(Prepare("unpacked"), sha256);

    internal string RootPath(string key) => Path.Combine(Prepare("roots"), key);

    /// <summary>A fresh name in <c>tmp/</c>, on the cache's file system so that a rename moves it into place.</summary>
    internal string TemporaryPath(string hint) =>
        Path.Combine(Prepare("tmp"), "." + hint + "." + Path.GetRandomFileName());

    /// <summary>
    /// RemoveStaleTemporaries deletes what interrupted runs left in <c>tmp/</c> more than a day ago (best effort; a
    /// running build's temporaries are younger).
    /// </summary>
    internal void RemoveStaleTemporaries()
    {
        var directory = Path.Combine(Directory, "tmp");
        if (!System.IO.Directory.Exists(directory)) return;
        var limit = DateTime.UtcNow.AddDays(-1);
        try
        {
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                if (entry.LastWriteTimeUtc > limit) continue;
                if (entry is DirectoryInfo stale && stale.LinkTarget is null) PackageFetcher.TryDeleteDirectory(stale.FullName);
                else TemporaryFiles.TryDelete(entry.FullName);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort: leftovers are harmless
        }
    }

    /// <summary>
    /// StoreVerifiedAsync writes what <paramref name="write"/> writes to a temporary file, checks its size and SHA-256,
    /// and renames it to <paramref name="destination"/>; on a mismatch it deletes the temporary file and says so.
    /// </summary>
    /// <param name="what">Names the content in messages, e.g. "hello 2.10-3 (pool/main/h/hello/hello_2.10-3_amd64.deb)".</param>
    /// <param name="origin">Names where the bytes came from, e.g. the mirror's URL of the file.</param>
    /// <param name="verify">False to skip the check, for content whose hash nothing signed (then size and sha256 are ignored).</param>
    /// <returns>False when <paramref name="write"/> returns false (the source does not have the file).</returns>
    /// <exception cref="TinyImageException">A size or hash mismatch, or a cache that cannot be written.</exception>
    internal async Task<bool> StoreVerifiedAsync(string destination, long size, string sha256, string what, string origin,
        Func<Stream, Task<bool>> write, CancellationToken cancellationToken, bool verify = true)
    {
        var temporary = TemporaryPath(Path.GetFileName(destination));
        try
        {
            Digest digest;
            long written;
            var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                var hashing = new HashingStream(file);
                await using (hashing.ConfigureAwait(false))
                {
                    if (!await write(hashing).ConfigureAwait(false))
                    {
                        TemporaryFiles.TryDelete(temporary);
                        return false;
                    }
                    digest = hashing.GetDigest();
                    written = hashing.BytesHashed;
                }
            }
            if (verify && (written != size || digest.Hex != sha256))
                throw new TinyImageException(
                    $"{what} from {origin} does not match its signed hash (expected {size} bytes, SHA256 {sha256[..16]}...; got {written} bytes, SHA256 {digest.Hex[..16]}...): the mirror is broken or the file was tampered with; nothing of it was cached");
            File.Move(temporary, destination, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TemporaryFiles.TryDelete(temporary);
            throw new TinyImageException($"cannot write to the Debian cache '{Directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE", e);
        }
        catch
        {
            TemporaryFiles.TryDelete(temporary);
            throw;
        }
    }

    /// <summary>IsIntact is true when <paramref name="path"/> exists with <paramref name="size"/> bytes and SHA-256 <paramref name="sha256"/>; a damaged file is deleted.</summary>
    internal static async Task<bool> IsIntactAsync(string path, long size, string sha256, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return false;
            if (info.Length == size)
            {
                var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (file.ConfigureAwait(false))
                    if (Sha256Hex.Of(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false)) == sha256) return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // unreadable: treated as missing and replaced
        }
        TemporaryFiles.TryDelete(path);
        return false;
    }

    private string Prepare(string subdirectory)
    {
        try
        {
            if (!System.IO.Directory.Exists(Directory)) System.IO.Directory.CreateDirectory(Directory, PrivateDirectory);
            var path = Path.Combine(Directory, subdirectory);
            System.IO.Directory.CreateDirectory(path);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot create the Debian cache '{Directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE", e);
        }
    }
}
