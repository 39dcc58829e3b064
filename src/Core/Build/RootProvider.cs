using TinyImage.Core.Debian;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Build;

/// <summary>
/// Opens the root an image's files come from, for one platform: the host, a sysroot directory, or a set of Debian
/// packages unpacked for the platform's architecture at the versions the recipe's lock file pins. One provider serves
/// every image of a recipe, so they share one lock file, written (to a temporary name, then renamed) when it changes.
/// </summary>
public sealed class RootProvider
{
    private readonly DebianOptions _debian;
    private readonly string? _lockPath;
    private readonly LockMode _mode;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<PackageRequest, PackageLock> _refreshed = [];
    private PackageLockFile? _lockFile;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<InstalledPackage>> _packagesOfRoots = new(StringComparer.Ordinal);

    /// <param name="debian">Where packages come from and are cached.</param>
    /// <param name="lockPath">The lock file (NAME.tiny.lock beside the recipe); null: resolve every time, pin nothing.</param>
    /// <param name="mode">How the lock is used.</param>
    public RootProvider(DebianOptions debian, string? lockPath, LockMode mode = LockMode.Update)
    {
        _debian = debian;
        _lockPath = lockPath is null ? null : Path.GetFullPath(lockPath);
        _mode = mode;
    }

    /// <summary>The lock file beside a recipe: <c>app.tiny.csx</c> gives <c>app.tiny.lock</c>.</summary>
    public static string LockPathFor(string recipePath) =>
        (recipePath.EndsWith(".csx", StringComparison.Ordinal) ? recipePath[..^4] : recipePath) + ".lock";

    /// <summary>The root files of <paramref name="spec"/> are read from when it is built for <paramref name="platform"/>.</summary>
    /// <param name="host">The files to use when the spec names no root (the host's "/", usually).</param>
    public async Task<HostFiles> OpenAsync(ImageSpec spec, Platform platform, HostFiles host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Packages is not { } packages)
            return spec.Root is { } root ? new HostFiles(root) : host;
        var pinned = await PinAsync(packages, platform, cancellationToken).ConfigureAwait(false);
        var materialized = await PackageRoot.MaterializeAsync(pinned, _debian, cancellationToken).ConfigureAwait(false);
        _packagesOfRoots[Path.GetFullPath(materialized.Directory)] = materialized.Packages;
        return new HostFiles(materialized.Directory,
            package => $"add \"{package}\" to the packages the root installs (Install(...)); its root has only {string.Join(", ", packages.Names)} and what they depend on");
    }

    /// <summary>The packages a root <see cref="OpenAsync"/> made of Debian packages holds, in the order they were laid down; null for any other root.</summary>
    public IReadOnlyList<InstalledPackage>? PackagesOf(HostFiles root) => _packagesOfRoots.GetValueOrDefault(root.Root);

    /// <summary>The lock for <paramref name="packages"/> on <paramref name="platform"/>: from the lock file, or resolved now.</summary>
    public async Task<PackageLock> PinAsync(DebianPackages packages, Platform platform, CancellationToken cancellationToken)
    {
        var request = new PackageRequest(packages.Suite, platform.DebianArchitecture, _debian.Components ?? ["main"], packages.Names, packages.WithRecommends);
        var options = packages.Mirror is null ? _debian : _debian with { Mirror = packages.Mirror };
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_refreshed.TryGetValue(request, out var done)) return done;
            var lockFile = _lockFile ??= _lockPath is not null && File.Exists(_lockPath) ? PackageLockFile.Read(_lockPath) : new PackageLockFile([]);
            var pinned = _mode == LockMode.Refresh ? null : lockFile.Find(request);
            if (pinned is not null && _mode != LockMode.Locked) return pinned;
            if (pinned is null && _mode is LockMode.Locked or LockMode.Pinned)
                throw new TinyImageException($"{Shown()}: pins no packages for {request}; run 'tinyrun lock' on the recipe and commit the lock file");

            var archive = await DebianArchive.OpenAsync(request.Suite, request.Architecture, options, cancellationToken).ConfigureAwait(false);
            if (pinned is not null)
            {
                if (!archive.FromCache && !archive.IsCurrent(pinned))
                    throw new TinyImageException($"{Shown()}: the packages it pins for {request} are no longer what {archive.Mirror} resolves to; run 'tinyrun lock' on the recipe and commit the lock file");
                return pinned;
            }
            pinned = archive.Resolve(request);
            _refreshed[request] = pinned;
            if (_lockPath is not null)
            {
                // A refresh keeps only what this run resolves: sets the recipe no longer asks for leave the lock.
                _lockFile = _mode == LockMode.Refresh ? new PackageLockFile(_refreshed.Values) : lockFile.With(pinned);
                _lockFile.Write(_lockPath);
            }
            return pinned;
        }
        finally
        {
            _gate.Release();
        }
    }

    private string Shown() => _lockPath is null ? "the lock" : Path.GetRelativePath(Environment.CurrentDirectory, _lockPath);
}
