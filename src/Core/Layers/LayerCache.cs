using System.Globalization;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Layers;

/// <summary>
/// A content-addressed store of compressed layer blobs, keyed by what they hold: the diff_id of the uncompressed
/// tar and the compressor that made the blob (<see cref="LayerOptions.CompressorName"/>). A rebuild compresses only
/// layers whose tar changed (the cost being saved), and reads no file whose stamp is unchanged.
/// </summary>
/// <remarks>
/// Layout: <c>DIR/COMPRESSOR/DIFFIDHEX</c> is the blob and <c>DIFFIDHEX.digest</c> beside it holds
/// <c>sha256:HEX SIZE</c>, then the blob's <see cref="FileStamp"/> once it has been checked. Both are written to temporary
/// names and renamed, blob first, so a reader sees either no entry or a whole one. A hit is used only after the blob is
/// checked against what the key promises: it must hash to its digest file AND decompress to exactly the tar the key
/// names (diff_id and size), in one streaming pass (<see cref="LayerBlobVerifier"/>); a blob whose stamp is still the one
/// recorded after such a check is not read again. An entry that fails (a crash, a hand edit, another valid blob put in
/// its place, all of which change the stamp) is deleted and rebuilt, never used; damage that leaves a file's times
/// alone (a failing disk) is not seen, as with git's index. The compressed bytes themselves cannot be checked without
/// compressing again, so the compressor is trusted to be the one the directory names. Blobs are immutable once
/// written; concurrent builds writing the same entry write the same bytes. A hit sets the blob's access time (at most
/// once an hour), so that <see cref="PruneAsync"/> can evict the least recently used first.
/// <para>
/// The diff_id a layer's entries give is remembered in <c>DIR/measured</c> (<see cref="LayerMeasurements"/>), keyed by
/// the entries and their source files' stamps, so an unchanged layer is found without reading its files; the SBOM's
/// file hashes are remembered there too (<see cref="FileHashMemo"/>).
/// </para>
/// <para>
/// Concurrency: a build holds <see cref="LeaseAsync"/> (a shared lock on <c>DIR/.lock</c>) from its first lookup until
/// its image is written; <see cref="PruneAsync"/> takes the lock exclusively, so it waits for running builds and never
/// removes a blob one of them is about to copy. Temporary files a killed build left (a few seconds old and not locked
/// by a running build, see <see cref="StaleTemporaryFiles"/>) are removed by the next build that uses the cache.
/// </para>
/// </remarks>
public sealed class LayerCache
{
    private const string DigestSuffix = ".digest";
    private const string LockName = ".lock";
    /// <summary>The directory of remembered measurements: layers' diff_ids and files' hashes (<see cref="FileHashMemo"/>).</summary>
    internal const string MeasurementsName = "measured";

    /// <summary>How precisely a blob's last use is kept (its access time is set at most this often).</summary>
    private static readonly TimeSpan UseResolution = TimeSpan.FromHours(1);
    private const string TemporaryPrefix = ".";
    private const string TemporarySuffix = ".tmp";
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>1 once this instance (one per build) has removed killed builds' temporary files.</summary>
    private int _swept;

    private readonly ISharedLayerCache? _shared;

    private readonly LayerMeasurements _measurements;
    private int _measured;
    private int _verified;

    /// <param name="directory">The cache's directory, e.g. <see cref="DefaultDirectory"/>; created (0700) when first written.</param>
    /// <param name="shared">A cache shared between machines, asked on a miss and given what is compressed here; null: none.</param>
    public LayerCache(string directory, ISharedLayerCache? shared = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        _shared = shared;
        _measurements = new LayerMeasurements(Path.Combine(Directory, MeasurementsName));
    }

    public string Directory { get; }

    /// <summary>The clock that says whether a file's stamp has settled (<see cref="FileStamp.IsSettled"/>); tests move it on.</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How many layers this instance measured by reading their files; the others were known from their files' stamps.</summary>
    internal int MeasuredLayers => _measured;

    /// <summary>How many cached blobs this instance checked by reading them; the others had not changed since a check.</summary>
    internal int VerifiedBlobs => _verified;

    /// <summary>
    /// <c>layers/</c> under the runner's cache root: <c>$TINYRUN_CACHE</c>, else <c>$XDG_CACHE_HOME/tinyrun</c>, else
    /// <c>~/.cache/tinyrun</c>.
    /// </summary>
    public static string DefaultDirectory() => Path.Combine(CacheLocation.Root(), "layers");

    /// <summary>
    /// Returns the layer of <paramref name="entries"/> as <paramref name="writer"/> would write it, from the cache when
    /// an intact entry holds it, else written, stored and returned. The returned <see cref="Layer.BlobPath"/> is in the
    /// cache: read it, never delete or move it.
    /// </summary>
    /// <returns>The layer, and whether it came from the cache.</returns>
    /// <exception cref="TinyImageException">An unreadable input, input files changing during the build, or an unusable cache directory.</exception>
    public async Task<(Layer Layer, bool Hit)> GetOrWriteAsync(LayerWriter writer, IReadOnlyList<FileEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entries);
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Prepare(writer.Options.CompressorName);
        var key = LayerMeasurements.KeyOf(writer.Options, entries, Time.GetUtcNow());
        var content = key is not null && _measurements.TryRead(key) is { } known ? known : null;
        if (content is null)
        {
            content = await writer.MeasureAsync(entries, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _measured);
            if (key is not null) _measurements.Write(key, content);
        }
        var blobPath = Path.Combine(directory, content.DiffId.Hex);
        var digestPath = blobPath + DigestSuffix;

        var cached = await TryReadAsync(blobPath, digestPath, writer.Options.Compression, content, cancellationToken).ConfigureAwait(false);
        if (cached is null && _shared is not null)
            cached = await TryFetchSharedAsync(writer.Options.CompressorName, directory, blobPath, digestPath, writer.Options.Compression, content, cancellationToken)
                .ConfigureAwait(false);
        if (cached is { } hit)
            return (content.ToLayer(hit.Digest, hit.Size, blobPath, writer.MediaType), true);

        var written = await writer.WriteAsync(entries, directory, cancellationToken).ConfigureAwait(false);
        var temp = Path.Combine(directory, TemporaryPrefix + content.DiffId.Hex + "." + Path.GetRandomFileName() + TemporarySuffix);
        try
        {
            if (written.DiffId != content.DiffId)
            {
                if (key is not null) _measurements.Forget(key);
                throw new TinyImageException(
                    $"the files of layer {content.DiffId} changed while the image was built; do not change input files during a build, then build again");
            }
            File.Move(written.BlobPath, blobPath, overwrite: true);
            await File.WriteAllTextAsync(temp, string.Create(CultureInfo.InvariantCulture, $"{written.Digest} {written.Size}\n"), cancellationToken)
                .ConfigureAwait(false);
            File.Move(temp, digestPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TemporaryFiles.TryDelete(written.BlobPath);
            TemporaryFiles.TryDelete(temp);
            throw new TinyImageException($"cannot store a layer in the cache '{directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE", e);
        }
        catch
        {
            TemporaryFiles.TryDelete(written.BlobPath);
            TemporaryFiles.TryDelete(temp);
            throw;
        }
        var layer = written with { BlobPath = blobPath };
        if (_shared is not null) await _shared.StoreAsync(writer.Options.CompressorName, layer, cancellationToken).ConfigureAwait(false);
        return (layer, false);
    }

    /// <summary>The layer from the shared cache, stored here as a local entry and then checked as one; null when it is not there or not the layer.</summary>
    private async Task<(Digest Digest, long Size)?> TryFetchSharedAsync(string compressor, string directory, string blobPath, string digestPath,
        LayerCompression compression, LayerContent content, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(directory, TemporaryPrefix + content.DiffId.Hex + "." + Path.GetRandomFileName() + TemporarySuffix);
        try
        {
            if (await _shared!.TryFetchAsync(compressor, content.DiffId, temp, cancellationToken).ConfigureAwait(false) is not { } fetched) return null;
            File.Move(temp, blobPath, overwrite: true);
            var digestTemp = temp[..^TemporarySuffix.Length] + ".digest" + TemporarySuffix;
            await File.WriteAllTextAsync(digestTemp, string.Create(CultureInfo.InvariantCulture, $"{fetched.Digest} {fetched.Size}\n"), cancellationToken).ConfigureAwait(false);
            File.Move(digestTemp, digestPath, overwrite: true);
            return await TryReadAsync(blobPath, digestPath, compression, content, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TemporaryFiles.TryDelete(temp);
            TemporaryFiles.TryDelete(temp[..^TemporarySuffix.Length] + ".digest" + TemporarySuffix);
        }
    }

    /// <summary>
    /// The digest and size of the entry, when it is intact and holds <paramref name="content"/>; else null (missing,
    /// half-written, corrupt or other content; such an entry is deleted). A blob is read and checked unless its stamp is
    /// the one the digest file recorded after its last check (see <see cref="FileStamp"/>); a check records it.
    /// </summary>
    private async Task<(Digest Digest, long Size)?> TryReadAsync(
        string blobPath, string digestPath, LayerCompression compression, LayerContent content, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            if (!File.Exists(blobPath) || !File.Exists(digestPath)) return null;
            text = await File.ReadAllTextAsync(digestPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (TryParseDigestFile(text, out var expected, out var size, out var lastChecked))
        {
            try
            {
                var checkedAt = Time.GetUtcNow();
                // A link or a FIFO in the blob's place is never opened (a FIFO would block): it is rebuilt below.
                if (HostFileStatus.StampOf(blobPath) is { } stamp)
                {
                    if (lastChecked is { } recorded && stamp == recorded && recorded.Size == size)
                    {
                        TouchAccessTime(blobPath);
                        return (expected, size);
                    }
                    var file = new FileStream(blobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
                    await using (file.ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref _verified);
                        if (file.Length == size && await LayerBlobVerifier.MatchesAsync(file, compression, expected, content, cancellationToken).ConfigureAwait(false))
                        {
                            TouchAccessTime(blobPath);
                            if (stamp.IsSettled(checkedAt) && HostFileStatus.StampOf(blobPath) == stamp)
                                TemporaryFiles.TryReplace(digestPath, string.Create(CultureInfo.InvariantCulture, $"{expected} {size} {stamp}\n"));
                            return (expected, size);
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or TinyImageException)
            {
                // unreadable: rebuild below
            }
        }
        TemporaryFiles.TryDelete(digestPath);
        TemporaryFiles.TryDelete(blobPath);
        return null;
    }

    /// <summary>
    /// Whether the blob at <paramref name="blobPath"/> is the entry <paramref name="digest"/> of <paramref name="size"/>
    /// bytes, checked since its last change: what a lookup takes without reading it (see <see cref="TryReadAsync"/>).
    /// </summary>
    internal static bool IsChecked(string blobPath, Digest digest, long size)
    {
        try
        {
            return TryParseDigestFile(System.Text.Encoding.UTF8.GetString(RegularFile.ReadAllBytes(blobPath + DigestSuffix, 4096)), out var recorded, out var recordedSize,
                    out var lastChecked)
                && recorded == digest && recordedSize == size && lastChecked is { } stamp && stamp.Size == size && HostFileStatus.StampOf(blobPath) == stamp;
        }
        catch (TinyImageException)
        {
            return false;
        }
    }

    /// <summary>Reads an entry's digest file: <c>sha256:HEX SIZE</c>, then the blob's stamp when it was last checked (if it was).</summary>
    private static bool TryParseDigestFile(string text, out Digest digest, out long size, out FileStamp? lastChecked)
    {
        var parts = text.Trim().Split(' ');
        (digest, size, lastChecked) = (default, 0, null);
        if (parts.Length == 3)
        {
            if (!FileStamp.TryParse(parts[2], out var stamp)) return false;
            lastChecked = stamp;
        }
        else if (parts.Length != 2)
        {
            return false;
        }
        return Digest.TryParse(parts[0], out digest) && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out size);
    }

    /// <summary>Removes the records of builds (<see cref="Build.UnchangedBuilds"/>): each names blobs of this cache.</summary>
    private void ClearBuildRecords()
    {
        var records = Path.Combine(Directory, Build.UnchangedBuilds.DirectoryName);
        if (!System.IO.Directory.Exists(records)) return;
        foreach (var file in System.IO.Directory.EnumerateFiles(records)) TemporaryFiles.TryDelete(file);
    }

    /// <summary>
    /// Marks a blob as just used (its access time), for least-recently-used eviction, unless it was marked in the last
    /// <see cref="UseResolution"/>: setting a time changes the blob's status-change time, hence its stamp, which would
    /// make the next build read and check it again. Best effort.
    /// </summary>
    internal static void TouchAccessTime(string blobPath)
    {
        try
        {
            var now = DateTime.UtcNow;
            if (File.GetLastAccessTimeUtc(blobPath) < now - UseResolution) File.SetLastAccessTimeUtc(blobPath, now);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Holds the cache for a build, from before its first lookup until its image is written: a shared lock, so that
    /// builds run together and <see cref="PruneAsync"/> waits for them. Waits while a prune runs.
    /// </summary>
    /// <exception cref="TinyImageException">The cache directory cannot be created or locked.</exception>
    public async Task<IDisposable> LeaseAsync(CancellationToken cancellationToken)
    {
        Prepare(compressor: null);
        return await LockAsync(exclusive: false, waiting: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How many layers the cache holds and their size on disk (blobs and digest files).</summary>
    public LayerCacheUsage Measure()
    {
        var entries = Entries(out var temporaryBytes);
        return new LayerCacheUsage(entries.Count, entries.Sum(e => e.Bytes), temporaryBytes);
    }

    /// <summary>
    /// Removes every temporary file (no build runs while the lock is held) and the remembered measurements, then the least recently used layers until
    /// the layers take at most <paramref name="maxBytes"/> (0 empties the cache). Waits for running builds first,
    /// calling <paramref name="waiting"/> once if it has to.
    /// </summary>
    /// <returns>What was removed, and what is left.</returns>
    /// <exception cref="TinyImageException">The cache cannot be locked or changed.</exception>
    public async Task<(LayerCacheUsage Removed, LayerCacheUsage Left)> PruneAsync(long maxBytes, Action? waiting, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (!System.IO.Directory.Exists(Directory)) return (new LayerCacheUsage(0, 0, 0), new LayerCacheUsage(0, 0, 0));
        using var exclusive = await LockAsync(exclusive: true, waiting, cancellationToken).ConfigureAwait(false);
        long removedTemporary = 0;
        foreach (var compressor in CompressorDirectories())
            removedTemporary += StaleTemporaryFiles.SweepFiles(compressor, TemporaryPrefix, TemporarySuffix, TimeSpan.Zero);
        _measurements.Clear(); // small, and rebuilt by reading a layer's files once
        ClearBuildRecords(); // they name blobs this prune may remove
        var entries = Entries(out _);
        var left = entries.Sum(e => e.Bytes);
        int removed = 0;
        long removedBytes = 0;
        foreach (var entry in entries.OrderBy(e => e.LastUsed))
        {
            if (left <= maxBytes) break;
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                File.Delete(entry.BlobPath + DigestSuffix);
                File.Delete(entry.BlobPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TinyImageException($"cannot remove '{entry.BlobPath}' from the layer cache: {e.Message}; fix its permissions", e);
            }
            left -= entry.Bytes;
            removedBytes += entry.Bytes;
            removed++;
        }
        return (new LayerCacheUsage(removed, removedBytes, removedTemporary), new LayerCacheUsage(entries.Count - removed, left, 0));
    }

    private async Task<IDisposable> LockAsync(bool exclusive, Action? waiting, CancellationToken cancellationToken)
    {
        try
        {
            return await FileLock.AcquireAsync(Path.Combine(Directory, LockName), exclusive, waiting, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot lock the layer cache '{Directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE to another directory", e);
        }
    }

    /// <summary>Every complete entry (a blob and its digest file); digest files without a blob are removed.</summary>
    private List<(string BlobPath, long Bytes, DateTime LastUsed)> Entries(out long temporaryBytes)
    {
        var entries = new List<(string, long, DateTime)>();
        temporaryBytes = 0;
        try
        {
            foreach (var compressor in CompressorDirectories())
            {
                var files = new DirectoryInfo(compressor).EnumerateFiles().ToDictionary(f => f.Name, StringComparer.Ordinal);
                foreach (var (name, file) in files)
                {
                    if (name.StartsWith(TemporaryPrefix, StringComparison.Ordinal)) temporaryBytes += file.Length;
                    else if (name.EndsWith(DigestSuffix, StringComparison.Ordinal))
                    {
                        if (!files.ContainsKey(name[..^DigestSuffix.Length])) TemporaryFiles.TryDelete(file.FullName);
                    }
                    else
                        entries.Add((file.FullName, file.Length + (files.TryGetValue(name + DigestSuffix, out var digest) ? digest.Length : 0), file.LastAccessTimeUtc));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot read the layer cache '{Directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE to another directory", e);
        }
        return entries;
    }

    private IEnumerable<string> CompressorDirectories() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateDirectories(Directory).Where(d => Path.GetFileName(d) is not (MeasurementsName or Build.UnchangedBuilds.DirectoryName))
            : [];

    /// <summary>Removes the temporary files that killed builds left in the cache (unlocked, and older than <see cref="StaleTemporaryFiles.MinimumAge"/>).</summary>
    /// <param name="minimumAge">How old an unlocked file must be (at least <see cref="StaleTemporaryFiles.MinimumAge"/>).</param>
    public void SweepStaleTemporaryFiles(TimeSpan? minimumAge = null)
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        var age = minimumAge is { } given && given > StaleTemporaryFiles.MinimumAge ? given : StaleTemporaryFiles.MinimumAge;
        foreach (var each in CompressorDirectories())
            StaleTemporaryFiles.SweepFiles(each, TemporaryPrefix, TemporarySuffix, age);
        _measurements.SweepStaleTemporaryFiles(age);
    }

    /// <summary>
    /// Creates the cache (0700) and the directory of <paramref name="compressor"/> if missing; the first time, removes
    /// the temporary files that killed builds left.
    /// </summary>
    private string Prepare(string? compressor)
    {
        var directory = compressor is null ? Directory : Path.Combine(Directory, compressor);
        try
        {
            if (!System.IO.Directory.Exists(Directory))
                System.IO.Directory.CreateDirectory(Directory, PrivateDirectory);
            System.IO.Directory.CreateDirectory(directory, PrivateDirectory);
            if (Interlocked.Exchange(ref _swept, 1) == 0) SweepStaleTemporaryFiles();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"cannot use the layer cache '{Directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE to another directory", e);
        }
        return directory;
    }
}
