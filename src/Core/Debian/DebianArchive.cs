using System.Security.Cryptography;
using System.Text;

namespace TinyImage.Core.Debian;

/// <summary>
/// One suite and architecture of a Debian mirror, opened for resolution: its InRelease checked against the keyring,
/// its Release file, and its Packages indexes (each verified by the size and SHA-256 the Release file gives) read into
/// a <see cref="PackageIndex"/>. Verified indexes are cached, so an archive opens offline when the mirror is
/// unreachable and it was opened before.
/// </summary>
public sealed class DebianArchive
{
    private const long MaxInReleaseBytes = 16 << 20;
    private const long MaxIndexBytes = 1L << 30;

    private DebianArchive(PackageRequest scope, ReleaseFile release, string releaseSha256, PackageIndex packages, Uri mirror, bool fromCache)
    {
        Suite = scope.Suite;
        Architecture = scope.Architecture;
        Components = scope.Components;
        Release = release;
        ReleaseSha256 = releaseSha256;
        Packages = packages;
        Mirror = mirror;
        FromCache = fromCache;
    }

    /// <summary>Suite is the suite or codename opened (<c>bookworm</c>).</summary>
    public string Suite { get; }

    /// <summary>Architecture is the Debian architecture opened (<c>amd64</c>).</summary>
    public string Architecture { get; }

    /// <summary>Components are the components read (<c>main</c>).</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>Release is the verified Release file.</summary>
    public ReleaseFile Release { get; }

    /// <summary>ReleaseSha256 is the SHA-256 of the Release file (the signed text of InRelease), as a lock records it.</summary>
    public string ReleaseSha256 { get; }

    /// <summary>Packages are the packages of the suite's components for the architecture (and <c>all</c>).</summary>
    public PackageIndex Packages { get; }

    /// <summary>Mirror is the mirror's root URI.</summary>
    public Uri Mirror { get; }

    /// <summary>FromCache is true when the mirror was unreachable and the last verified index in the cache was used.</summary>
    public bool FromCache { get; }

    /// <summary>
    /// OpenAsync downloads (or takes from the cache) and verifies the InRelease and Packages indexes of
    /// <paramref name="suite"/> for <paramref name="architecture"/>.
    /// </summary>
    /// <exception cref="TinyImageException">
    /// No mirror for the suite; the mirror unreachable with nothing cached; a bad signature; an expired Release file;
    /// an index whose size or hash does not match the Release file (nothing of it is cached).
    /// </exception>
    public static async Task<DebianArchive> OpenAsync(string suite, string architecture, DebianOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(suite);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        ArgumentNullException.ThrowIfNull(options);
        var cache = new DebianCache(options.CacheDirectory);
        cache.RemoveStaleTemporaries();
        using var mirror = DebianMirror.For(suite, options);
        try
        {
            var (release, text, fromCache) = await ReadReleaseAsync(mirror, cache, suite, architecture, cancellationToken).ConfigureAwait(false);
            var releaseSha256 = Sha256Hex.Of(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
            var index = new PackageIndex(architecture);
            foreach (var component in mirror.Components)
                await ReadPackagesAsync(mirror, cache, release, suite, component, architecture, fromCache, index, cancellationToken).ConfigureAwait(false);
            var scope = new PackageRequest(suite, architecture, mirror.Components, [], false);
            return new DebianArchive(scope, release, releaseSha256, index, mirror.Uri, fromCache);
        }
        catch (MirrorUnreachableException e)
        {
            throw new TinyImageException(e.Message, e);
        }
    }

    /// <summary>
    /// Resolve chooses the packages <paramref name="names"/> need (see <see cref="DependencyResolver"/>) and pins them in a lock.
    /// </summary>
    /// <param name="names">Package names (<c>NAME</c> or <c>NAME=VERSION</c>), in the recipe's order.</param>
    /// <param name="includeRecommends">Follow Recommends as well as Depends.</param>
    /// <exception cref="TinyImageException">An unknown name, or a dependency no package satisfies.</exception>
    public PackageLock Resolve(IReadOnlyList<string> names, bool includeRecommends = false)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0) throw new TinyImageException($"{Suite}: no package names to install");
        var request = new PackageRequest(Suite, Architecture, Components, names.ToList(), includeRecommends);
        var description = $"{Suite} {string.Join(',', Components)} {Architecture}";
        var chosen = new DependencyResolver(Packages, description).Resolve(request.Names, includeRecommends);
        var packages = chosen.Select(p => new LockedPackage(p.Name, p.VersionText, p.Architecture, p.Size, p.Sha256, p.Filename)).ToList();
        return new PackageLock(request, ReleaseSha256, Release.Date, packages);
    }

    /// <summary>Resolve resolves <paramref name="request"/>, which must name this archive's suite, architecture and components.</summary>
    /// <exception cref="TinyImageException">A request for another suite, architecture or components; or see <see cref="Resolve(IReadOnlyList{string}, bool)"/>.</exception>
    public PackageLock Resolve(PackageRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Suite != Suite || request.Architecture != Architecture || !request.Components.SequenceEqual(Components, StringComparer.Ordinal))
            throw new TinyImageException($"the request {request} is not for {Suite} {Architecture} {string.Join(',', Components)}; open the archive it names");
        return Resolve(request.Names, request.IncludeRecommends);
    }

    /// <summary>
    /// IsCurrent is true when <paramref name="packageLock"/> is what <see cref="Resolve(PackageRequest)"/> gives for its request today
    /// (same packages); false means <c>tinyrun lock</c> would change it.
    /// </summary>
    public bool IsCurrent(PackageLock packageLock)
    {
        ArgumentNullException.ThrowIfNull(packageLock);
        var request = packageLock.Request;
        if (request.Suite != Suite || request.Architecture != Architecture || !request.Components.SequenceEqual(Components)) return false;
        return Resolve(request.Names, request.IncludeRecommends).SamePackages(packageLock);
    }

    private static async Task<(ReleaseFile Release, string Text, bool FromCache)> ReadReleaseAsync(
        DebianMirror mirror, DebianCache cache, string suite, string architecture, CancellationToken cancellationToken)
    {
        var relative = $"dists/{suite}/InRelease";
        var url = mirror.UrlOf(relative).ToString();
        var cached = cache.ReleasePath(mirror.Uri, suite);
        byte[] bytes;
        var fromCache = false;
        try
        {
            using var memory = new MemoryStream();
            if (!await mirror.DownloadAsync(relative, memory, MaxInReleaseBytes, null, cancellationToken).ConfigureAwait(false))
                throw new TinyImageException($"the mirror {mirror.Uri} has no suite '{suite}' ({relative} not found); check the suite name and the mirror ({mirror.ConfiguredAt})");
            bytes = memory.ToArray();
        }
        catch (MirrorUnreachableException e)
        {
            if (!File.Exists(cached))
                throw new TinyImageException($"{e.Message}; and no index of {suite} is cached for offline use", e);
            bytes = await File.ReadAllBytesAsync(cached, cancellationToken).ConfigureAwait(false);
            url = cached;
            fromCache = true;
        }

        var text = InReleaseVerifier.Verify(bytes, mirror.Keyring, url, DateTimeOffset.UtcNow);
        var release = ReleaseFile.Parse(text, url);
        if (release.Codename != suite && release.Suite != suite)
            throw new TinyImageException($"{url}: the Release file is for '{release.Codename ?? release.Suite}', not '{suite}'; the mirror serves another suite under this name");
        if (release.ValidUntil is { } validUntil && validUntil < DateTimeOffset.UtcNow)
            throw new TinyImageException($"{url}: the Release file expired on {validUntil:yyyy-MM-dd HH:mm} UTC (Valid-Until); the mirror is stale or this machine's clock is wrong");
        if (release.Architectures.Count > 0 && !release.Architectures.Contains(architecture))
            throw new TinyImageException($"{url}: {suite} has no architecture '{architecture}' (it has {string.Join(", ", release.Architectures)})");
        foreach (var component in mirror.Components)
            if (release.Components.Count > 0 && !release.Components.Contains(component) && !release.Components.Any(c => c.EndsWith("/" + component, StringComparison.Ordinal)))
                throw new TinyImageException($"{url}: {suite} has no component '{component}' (it has {string.Join(", ", release.Components)})");

        if (!fromCache) await WriteReleaseAsync(cache, cached, bytes, cancellationToken).ConfigureAwait(false);
        return (release, text, fromCache);
    }

    private static async Task WriteReleaseAsync(DebianCache cache, string path, byte[] bytes, CancellationToken cancellationToken)
    {
        var sha = Sha256Hex.Of(SHA256.HashData(bytes));
        await cache.StoreVerifiedAsync(path, bytes.Length, sha, "InRelease", "memory", async destination =>
        {
            await destination.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads <c>COMPONENT/binary-ARCH/Packages</c> into <paramref name="index"/>: the decompressed file from the cache
    /// when there (its hash checked while it is parsed), else the gzip (fastest to decode here), xz or plain variant
    /// from the mirror, by hash when the archive allows, verified, decompressed, verified again, and cached.
    /// </summary>
    private static async Task ReadPackagesAsync(DebianMirror mirror, DebianCache cache, ReleaseFile release, string suite, string component,
        string architecture, bool offline, PackageIndex index, CancellationToken cancellationToken)
    {
        var plain = $"{component}/binary-{architecture}/Packages";
        var expected = release.Find(plain);
        var variant = Decompression.Suffixes.Select(s => (Suffix: s, Entry: release.Find(plain + s))).FirstOrDefault(v => v.Entry is not null);
        if (variant.Entry is not { } download)
            throw new TinyImageException($"the Release file of {suite} on {mirror.Uri} lists no Packages index for {component}/binary-{architecture}");
        var key = expected is { } e ? e.Sha256 : "of-" + download.Sha256;
        var path = cache.IndexPath(key);
        var sourceName = $"{mirror.UrlOf($"dists/{suite}/{plain}")}";

        if (File.Exists(path) && await TryReadCachedAsync(path, expected, sourceName, index, cancellationToken).ConfigureAwait(false)) return;
        if (offline)
            throw new TinyImageException($"the Debian mirror {mirror.Uri} is unreachable and the Packages index of {suite} {component} {architecture} is not cached");

        var compressed = cache.TemporaryPath("Packages" + variant.Suffix);
        try
        {
            var relative = $"dists/{suite}/{plain}{variant.Suffix}";
            var byHash = $"dists/{suite}/{component}/binary-{architecture}/by-hash/SHA256/{download.Sha256}";
            var found = await cache.StoreVerifiedAsync(compressed, download.Size, download.Sha256, $"the Packages index {plain}{variant.Suffix}",
                mirror.UrlOf(relative).ToString(), async destination =>
                    (release.AcquireByHash && await mirror.DownloadAsync(byHash, destination, download.Size, null, cancellationToken).ConfigureAwait(false)) ||
                    await mirror.DownloadAsync(relative, destination, download.Size, null, cancellationToken).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            if (!found) throw new TinyImageException($"the mirror {mirror.Uri} lacks {relative}, which its Release file lists; try again later or use another mirror");

            await cache.StoreVerifiedAsync(path, expected?.Size ?? -1, expected?.Sha256 ?? "", $"the Packages index {plain} (decompressed)", mirror.UrlOf(relative).ToString(),
                async destination =>
                {
                    var input = Decompression.Open(File.OpenRead(compressed), relative)!;
                    await using (input.ConfigureAwait(false))
                        await CopyBoundedAsync(input, destination, expected?.Size ?? MaxIndexBytes, relative, cancellationToken).ConfigureAwait(false);
                    return true;
                }, cancellationToken, verify: expected is not null).ConfigureAwait(false);
        }
        finally
        {
            FileSystem.TemporaryFiles.TryDelete(compressed);
        }
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
            index.Add(file, sourceName);
    }

    /// <summary>Parses a cached index while another thread hashes it; false (and the file deleted) when it no longer matches.</summary>
    private static async Task<bool> TryReadCachedAsync(string path, (long Size, string Sha256)? expected, string sourceName, PackageIndex index, CancellationToken cancellationToken)
    {
        var intact = expected is { } e
            ? Task.Run(() => DebianCache.IsIntactAsync(path, e.Size, e.Sha256, cancellationToken), cancellationToken)
            : Task.FromResult(true);
        var candidate = new PackageIndex(index.Architecture);
        try
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            await using (file.ConfigureAwait(false))
                candidate.Add(file, sourceName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TinyImageException)
        {
            await intact.ConfigureAwait(false);
            FileSystem.TemporaryFiles.TryDelete(path);
            return false;
        }
        if (!await intact.ConfigureAwait(false)) return false;
        index.AddAll(candidate);
        return true;
    }

    private static async Task CopyBoundedAsync(Stream input, Stream output, long maxBytes, string name, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > maxBytes) throw new TinyImageException($"{name} decompresses to more than the {maxBytes} bytes its Release file gives; nothing of it was cached");
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
    }
}
