using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Debian;

/// <summary>
/// A root file system made of exactly the packages of a <see cref="PackageLock"/>: one directory in the cache
/// (<c>roots/KEY/</c>, KEY hashing the set of .deb SHA-256s) usable as a sysroot, e.g. by
/// <see cref="HostFiles"/>. Built once per set from hard links to the unpacked packages, in a temporary directory that
/// is renamed into place; no maintainer script runs.
/// </summary>
/// <remarks>
/// Packages are laid down in dependency order (what a package depends on first, ties by name), so where two ship the
/// same path the dependent one wins, always the same way. The root has merged /usr, as Debian 12 systems do (the
/// usrmerge package, debootstrap): <c>/bin</c>, <c>/sbin</c>, <c>/lib</c> and, where packages use them, <c>/lib32</c>,
/// <c>/lib64</c>, <c>/libx32</c>, <c>/libo32</c> are links to their <c>/usr</c> directories, and files packages ship
/// there are placed under <c>/usr</c>; so <c>/lib64/ld-linux-x86-64.so.2</c> resolves. A path under a link to a
/// directory lands in that directory, as dpkg does; a directory is never replaced by a file or a link.
/// </remarks>
public sealed class PackageRoot
{
    private const string LayoutVersion = "tinyrun-debian-root 1";
    private static readonly string[] AlwaysMerged = ["bin", "sbin", "lib"];
    private static readonly string[] MergedWhenUsed = ["lib32", "lib64", "libx32", "libo32"];
    private const UnixFileMode DefaultDirectoryMode = (UnixFileMode)0x1ed; // 0755

    private PackageRoot(string directory, PackageLock packageLock, IReadOnlyList<InstalledPackage> packages)
    {
        Directory = directory;
        Lock = packageLock;
        Packages = packages;
    }

    /// <summary>Directory is the root's directory in the cache: read it, never change it.</summary>
    public string Directory { get; }

    /// <summary>Lock is the lock the root was made from.</summary>
    public PackageLock Lock { get; }

    /// <summary>Packages are the installed packages in the order they were laid down, with their control stanzas and files.</summary>
    public IReadOnlyList<InstalledPackage> Packages { get; }

    /// <summary>
    /// MaterializeAsync returns the root of <paramref name="packageLock"/>, from the cache when it was made before, else
    /// made from the cached or downloaded packages (see <see cref="DebianOptions"/> for the mirror and the cache).
    /// </summary>
    /// <exception cref="TinyImageException">A package that cannot be had (not cached, not on the mirror, mirror down, hash mismatch) or a refused .deb.</exception>
    public static async Task<PackageRoot> MaterializeAsync(PackageLock packageLock, DebianOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(packageLock);
        ArgumentNullException.ThrowIfNull(options);
        var cache = new DebianCache(options.CacheDirectory);
        cache.RemoveStaleTemporaries();
        var unpacked = await new PackageFetcher(cache, options).EnsureUnpackedAsync(packageLock, cancellationToken).ConfigureAwait(false);
        var ordered = InstallOrder(unpacked, packageLock.Request.Architecture);
        var tree = new RootTree();
        tree.AddMergedUsr(ordered);
        var installed = new List<InstalledPackage>(ordered.Count);
        foreach (var package in ordered)
        {
            var files = new List<string>(package.Entries.Count);
            foreach (var entry in package.Entries)
                files.Add("/" + tree.Add(entry, package));
            installed.Add(new InstalledPackage(package.Package, package.Control, files));
        }

        var directory = cache.RootPath(RootKey(packageLock));
        if (!System.IO.Directory.Exists(directory))
        {
            var temporary = cache.TemporaryPath("root");
            try
            {
                tree.Write(temporary);
                try
                {
                    System.IO.Directory.Move(temporary, directory);
                }
                catch (IOException) when (System.IO.Directory.Exists(directory))
                {
                    // another build made the same root meanwhile: same content, keep theirs
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TinyImageException($"cannot make the root of {packageLock.Request} in the Debian cache '{cache.Directory}': {e.Message}; fix its permissions or set TINYRUN_CACHE", e);
            }
            finally
            {
                PackageFetcher.TryDeleteDirectory(temporary);
            }
        }
        return new PackageRoot(directory, packageLock, installed);
    }

    /// <summary>The root's name in the cache: the layout version, the architecture and the sorted .deb hashes.</summary>
    private static string RootKey(PackageLock packageLock)
    {
        var text = new StringBuilder(LayoutVersion).Append('\n').Append(packageLock.Request.Architecture).Append('\n');
        foreach (var sha in packageLock.Packages.Select(p => p.Sha256).Order(StringComparer.Ordinal)) text.Append(sha).Append('\n');
        return Sha256Hex.Of(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Dependencies first (Pre-Depends and Depends, each group by the first alternative the set has), ties by name.</summary>
    private static List<UnpackedPackage> InstallOrder(IReadOnlyList<UnpackedPackage> packages, string architecture)
    {
        var byName = packages.ToDictionary(p => p.Package.Name, StringComparer.Ordinal);
        var providers = new Dictionary<string, UnpackedPackage>(StringComparer.Ordinal);
        foreach (var package in packages.OrderBy(p => p.Package.Name, StringComparer.Ordinal))
            foreach (var group in RelationParser.Parse(package.Control["Provides"], architecture, $"{package.Package} Provides"))
                foreach (var provided in group)
                    providers.TryAdd(provided.Name, package);
        var ordered = new List<UnpackedPackage>(packages.Count);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: being visited, true: done
        void Visit(UnpackedPackage package)
        {
            if (state.ContainsKey(package.Package.Name)) return; // done, or a cycle: broken here, deterministically
            state[package.Package.Name] = false;
            var relations = RelationParser.Parse(package.Control["Pre-Depends"], architecture, $"{package.Package} Pre-Depends")
                .Concat(RelationParser.Parse(package.Control["Depends"], architecture, $"{package.Package} Depends"));
            foreach (var group in relations)
                foreach (var alternative in group)
                    if (byName.TryGetValue(alternative.Name, out var dependency) || providers.TryGetValue(alternative.Name, out dependency))
                    {
                        Visit(dependency);
                        break;
                    }
            state[package.Package.Name] = true;
            ordered.Add(package);
        }
        foreach (var package in packages.OrderBy(p => p.Package.Name, StringComparer.Ordinal)) Visit(package);
        return ordered;
    }

    /// <summary>The union of the packages' entries, by path relative to the root, before it is written.</summary>
    private sealed class RootTree
    {
        private const int MaxLinkHops = 40;
        private const int MaxResolveSteps = 4096;
        private int _steps;
        private readonly Dictionary<string, (char Kind, UnixFileMode Mode, string Source, string Target)> _entries = new(StringComparer.Ordinal);
        private readonly HashSet<string> _merged = new(AlwaysMerged, StringComparer.Ordinal);

        /// <summary>The merged-/usr links, for the always-merged directories and those any package uses.</summary>
        public void AddMergedUsr(IReadOnlyList<UnpackedPackage> packages)
        {
            foreach (var name in MergedWhenUsed)
                if (packages.Any(p => p.Entries.Any(e => e.Path == name || e.Path.StartsWith(name + "/", StringComparison.Ordinal))))
                    _merged.Add(name);
            _entries["usr"] = ('d', DefaultDirectoryMode, "", "");
            foreach (var name in _merged.Order(StringComparer.Ordinal))
            {
                _entries["usr/" + name] = ('d', DefaultDirectoryMode, "", "");
                _entries[name] = ('l', (UnixFileMode)0x1ff, "", "usr/" + name);
            }
        }

        /// <summary>Add lays down one entry of a package and returns the path it landed on.</summary>
        public string Add(ManifestEntry entry, UnpackedPackage package)
        {
            var path = entry.Path;
            var slash = path.IndexOf('/');
            var top = slash < 0 ? path : path[..slash];
            if (_merged.Contains(top)) path = "usr/" + path;
            path = ResolveParents(path, package);
            _entries.TryGetValue(path, out var existing);
            var source = entry.Kind == 'f' ? Path.Combine(package.DataDirectory, entry.Path) : "";
            if (entry.Kind == 'd')
            {
                if (existing.Kind == 'l' && ResolvesToDirectory(path)) return path; // dpkg keeps a link to a directory
                _entries[path] = ('d', entry.Mode, "", "");
            }
            else if (existing.Kind != 'd')
            {
                _entries[path] = (entry.Kind, entry.Mode, source, entry.Target);
            }
            return path;
        }

        /// <summary>The path with each parent that is a link to a directory replaced by that directory; missing parents become directories.</summary>
        private string ResolveParents(string path, UnpackedPackage package)
        {
            var parts = path.Split('/');
            var resolved = "";
            for (var i = 0; i < parts.Length - 1; i++)
            {
                var candidate = resolved.Length == 0 ? parts[i] : resolved + "/" + parts[i];
                candidate = Resolve(candidate) ?? throw new TinyImageException(
                    $"{package.Package}: {path} lies under '{candidate}', a link that leads to no directory of the root");
                if (!_entries.TryGetValue(candidate, out var kind)) _entries[candidate] = ('d', DefaultDirectoryMode, "", "");
                else if (kind.Kind != 'd')
                    throw new TinyImageException($"{package.Package}: {path} lies under '{candidate}', which another package made a file");
                resolved = candidate;
            }
            return resolved.Length == 0 ? parts[^1] : resolved + "/" + parts[^1];
        }

        /// <summary>Follows <paramref name="path"/> while it is a link (inside the root); null when a link leads nowhere or loops.</summary>
        private string? Resolve(string path)
        {
            _steps = 0;
            return Resolve(path, 0);
        }

        private string? Resolve(string path, int hops)
        {
            if (!_entries.TryGetValue(path, out var entry) || entry.Kind != 'l') return path;
            if (hops >= MaxLinkHops || ++_steps > MaxResolveSteps) return null;
            var parent = ImagePath.Parent("/" + path) ?? "/";
            var target = ImagePath.Normalize(entry.Target.StartsWith('/') ? entry.Target : parent + "/" + entry.Target).TrimStart('/');
            if (target.Length == 0) return null;
            // The target's own parents may be links too.
            var parts = target.Split('/');
            var resolved = "";
            foreach (var part in parts)
            {
                var next = Resolve(resolved.Length == 0 ? part : resolved + "/" + part, hops + 1);
                if (next is null) return null;
                resolved = next;
            }
            return resolved;
        }

        private bool ResolvesToDirectory(string path) =>
            Resolve(path) is { } target && _entries.TryGetValue(target, out var entry) && entry.Kind == 'd';

        /// <summary>Write makes the tree under <paramref name="directory"/> (which must not exist): directories, hard links, symbolic links, then directory modes.</summary>
        public void Write(string directory)
        {
            System.IO.Directory.CreateDirectory(directory);
            File.SetUnixFileMode(directory, DefaultDirectoryMode);
            var paths = _entries.Keys.Order(StringComparer.Ordinal).ToList();
            foreach (var path in paths)
            {
                var entry = _entries[path];
                var host = Path.Combine(directory, path);
                switch (entry.Kind)
                {
                    case 'd': System.IO.Directory.CreateDirectory(host); break;
                    case 'f': HardLink.CreateOrCopy(entry.Source, host); break;
                    case 'l': File.CreateSymbolicLink(host, entry.Target); break;
                    default: throw new UnreachableException($"entry kind {entry.Kind}");
                }
            }
            foreach (var path in paths.Where(p => _entries[p].Kind == 'd').OrderByDescending(p => p.Length))
                File.SetUnixFileMode(Path.Combine(directory, path), _entries[path].Mode);
        }
    }
}
