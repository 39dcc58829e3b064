namespace TinyImage.Core.Debian;

/// <summary>
/// Makes the packages of a lock available unpacked in the cache: from <c>unpacked/</c> when there, else from a cached
/// .deb whose size and SHA-256 still match, else downloaded from the mirror (in parallel, bounded, streamed to a
/// temporary file, verified, renamed) and unpacked once (into a temporary directory, renamed). The mirror is only
/// contacted, and apt's configuration only read, when a package is missing from the cache.
/// </summary>
internal sealed class PackageFetcher(DebianCache cache, DebianOptions options)
{
    /// <summary>EnsureUnpackedAsync returns the unpacked packages of <paramref name="packageLock"/>, in the lock's order.</summary>
    /// <exception cref="TinyImageException">A package neither cached nor on the mirror, a mismatching download, an unreachable mirror, a refused .deb.</exception>
    public async Task<IReadOnlyList<UnpackedPackage>> EnsureUnpackedAsync(PackageLock packageLock, CancellationToken cancellationToken)
    {
        var packages = packageLock.Packages;
        var missing = packages.Where(p => !Directory.Exists(cache.UnpackedPath(p.Sha256)) && !File.Exists(cache.DebPath(p.Sha256))).ToList();
        var progress = new Progress(options.Progress, missing.Sum(p => p.Size), packages.Count(p => !Directory.Exists(cache.UnpackedPath(p.Sha256))));
        DebianMirror? mirror = null;
        var mirrorLock = new object();
        DebianMirror Mirror()
        {
            lock (mirrorLock) return mirror ??= DebianMirror.For(packageLock.Request.Suite, options);
        }
        try
        {
            var result = new UnpackedPackage[packages.Count];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelDownloads), CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, packages.Count), parallel, async (i, token) =>
            {
                result[i] = await EnsureOneAsync(packages[i], packageLock.Request.Suite, Mirror, progress, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
            return result;
        }
        finally
        {
            mirror?.Dispose();
        }
    }

    private async Task<UnpackedPackage> EnsureOneAsync(LockedPackage package, string suite, Func<DebianMirror> mirror, Progress progress, CancellationToken cancellationToken)
    {
        var unpacked = cache.UnpackedPath(package.Sha256);
        if (Directory.Exists(unpacked)) return UnpackedPackage.Read(unpacked, package);

        var deb = cache.DebPath(package.Sha256);
        if (!await DebianCache.IsIntactAsync(deb, package.Size, package.Sha256, cancellationToken).ConfigureAwait(false))
            await DownloadAsync(package, suite, deb, mirror, progress, cancellationToken).ConfigureAwait(false);

        var temporary = cache.TemporaryPath("unpack-" + package.Sha256[..16]);
        try
        {
            DebUnpacker.Unpack(deb, temporary, package.ToString());
            try
            {
                Directory.Move(temporary, unpacked);
            }
            catch (IOException) when (Directory.Exists(unpacked))
            {
                // another build unpacked the same package meanwhile: same bytes, keep theirs
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException($"{package}: cannot unpack into the Debian cache '{cache.Directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE", e);
        }
        finally
        {
            TryDeleteDirectory(temporary);
        }
        progress.PackageDone(package.Name);
        return UnpackedPackage.Read(unpacked, package);
    }

    private async Task DownloadAsync(LockedPackage package, string suite, string deb, Func<DebianMirror> mirrorOf, Progress progress, CancellationToken cancellationToken)
    {
        DebianMirror mirror;
        try
        {
            mirror = mirrorOf();
        }
        catch (TinyImageException e)
        {
            throw new TinyImageException($"{package} is not in the cache, and {e.Message}", e);
        }
        var url = mirror.UrlOf(package.Filename);
        bool found;
        try
        {
            found = await cache.StoreVerifiedAsync(deb, package.Size, package.Sha256, $"{package} ({package.Filename})", url.ToString(),
                destination => mirror.DownloadAsync(package.Filename, destination, package.Size, progress.Bytes, cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        catch (MirrorUnreachableException e)
        {
            throw new TinyImageException($"{e.Message}; {package} is not in the cache", e);
        }
        if (!found)
            throw new TinyImageException(
                $"{package}: the mirror {mirror.Uri} no longer has {package.Filename} (404), and the cache does not either; refresh the lock of {suite} with `tinyrun lock RECIPE`");
    }

    internal static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort: a leftover in tmp/ is harmless
        }
    }

    /// <summary>
    /// Counts bytes and packages across the parallel downloads and reports them. A report reads both counters under one
    /// lock, so reports are in order and the last one says what is true at the end (no package left).
    /// </summary>
    private sealed class Progress(IProgress<PackageDownloadProgress>? sink, long total, int left)
    {
        private readonly Lock _gate = new();
        private long _done;
        private int _left = left;
        private long _lastReported;

        public void Bytes(int count)
        {
            var done = Interlocked.Add(ref _done, count);
            if (sink is null || done - Interlocked.Read(ref _lastReported) < 256 << 10) return;
            Interlocked.Exchange(ref _lastReported, done);
            Report(null);
        }

        public void PackageDone(string name)
        {
            Interlocked.Decrement(ref _left);
            Report(name);
        }

        private void Report(string? name)
        {
            if (sink is null) return;
            lock (_gate)
                sink.Report(new PackageDownloadProgress(Interlocked.Read(ref _done), total, Volatile.Read(ref _left), name));
        }
    }
}
