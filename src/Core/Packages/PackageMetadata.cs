using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Packages;

/// <summary>
/// What scanners (trivy, grype/syft) need to see the Debian packages an image's files come from, as distroless writes
/// it: <c>/var/lib/dpkg/status.d/NAME</c> (the package's control fields) and <c>NAME.md5sums</c> listing only the files
/// of it the image ships (so a package of which one library ships is that package: its CVEs are the image's), and the
/// root's OS identification (<c>/etc/os-release</c>, <c>/etc/debian_version</c>), taken from the root, never made up.
/// </summary>
public static class PackageMetadata
{
    public const string StatusDirectory = "/var/lib/dpkg/status.d";
    private const int MaxFileSize = 1 << 20;

    /// <summary>
    /// Adds the metadata of the packages that files in <paramref name="tree"/> taken from <paramref name="root"/> come
    /// from; returns those packages (none: nothing is added).
    /// </summary>
    public static IReadOnlyList<InstalledPackage> Add(FileTree tree, HostFiles root)
    {
        var fromRoot = tree.Entries().Where(e => e.Kind != EntryKind.Directory && IsFromRoot(e, root)).ToList();
        if (fromRoot.Count == 0) return [];
        // The OS identification comes along when any package does: it is base-files', so that package is then shipped too.
        var identification = new[] { "/etc/os-release", "/etc/debian_version" }
            .Where(path => tree.Find(path) is null && root.Resolve(path) is { } found && root.Status(found.RealPath).IsFile).ToList();
        var identificationFiles = identification.Select(path => root.Resolve(path)!.Value.RealPath).ToList();
        if (DpkgDatabase.Read(root, fromRoot.Select(e => e.Path).Concat(identificationFiles)) is not { } database) return [];
        var shipped = new SortedDictionary<string, (InstalledPackage Package, List<FileEntry> Files)>(StringComparer.Ordinal);
        void Ship(FileEntry entry)
        {
            if (database.Owner(entry.Path) is not { } package) return;
            if (!shipped.TryGetValue(package.Name, out var files)) shipped[package.Name] = files = (package, []);
            files.Files.Add(entry);
        }
        foreach (var entry in fromRoot) Ship(entry);
        // A package is in the image when a file of it is: a link alone (the merged-/usr links many packages list) is not.
        foreach (var name in shipped.Where(s => !s.Value.Files.Any(f => f.Kind == EntryKind.File)).Select(s => s.Key).ToList()) shipped.Remove(name);
        if (shipped.Count == 0) return [];
        foreach (var path in identification) root.AddFile(tree, path, "the OS identification scanners read");
        foreach (var path in identificationFiles) if (tree.Find(path) is { } entry) Ship(entry);
        foreach (var (name, (package, files)) in shipped)
        {
            var reason = $"package metadata of {name} {package.Version} (for scanners)";
            tree.Add(FileEntry.Inline($"{StatusDirectory}/{name}", Encoding.UTF8.GetBytes(package.Control), 0x1A4, reason));
            var md5sums = new StringBuilder();
            foreach (var file in files.Where(f => f.Kind == EntryKind.File && f.SourcePath is not null).OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                using var stream = RegularFile.OpenRead(file.SourcePath!);
                md5sums.Append(Convert.ToHexStringLower(MD5.HashData(stream))).Append("  ").Append(file.Path[1..]).Append('\n');
            }
            tree.Add(FileEntry.Inline($"{StatusDirectory}/{name}.md5sums", Encoding.UTF8.GetBytes(md5sums.ToString()), 0x1A4, reason));
        }
        return [.. shipped.Values.Select(s => s.Package)];
    }

    /// <summary>Whether <paramref name="entry"/> is the root's own file at its own path (not the recipe's, not generated).</summary>
    private static bool IsFromRoot(FileEntry entry, HostFiles root) =>
        entry.Kind == EntryKind.Symlink
            ? root.Status(entry.Path).Kind == HostFileKind.Symlink && new FileInfo(root.HostPath(entry.Path)).LinkTarget == entry.LinkTarget
            : entry.SourcePath is { } source && source == root.HostPath(entry.Path);
}
