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

    /// <summary>The files scanners read to tell the distribution, base-files' in Debian.</summary>
    private static readonly string[] Identification = ["/etc/os-release", "/etc/debian_version"];

    /// <summary>
    /// Gives every regular file of <paramref name="tree"/> whose bytes come from <paramref name="root"/> (not the
    /// recipe's) the package that shipped it (<see cref="Provenance.Package"/>); returns the root's package owners, null
    /// when it records none.
    /// </summary>
    /// <param name="packages">The packages the root is made of, when it is a root of Debian packages; null: read its dpkg database.</param>
    /// <param name="indexDirectory">Where an index of the dpkg database's lists is kept between builds; null: none.</param>
    public static PackageOwners? Attribute(FileTree tree, HostFiles root, IReadOnlyList<Debian.InstalledPackage>? packages, string? indexDirectory = null)
    {
        var fromRoot = FromRoot(tree, root);
        if (fromRoot.Count == 0) return null;
        var identification = Identification.Select(path => root.Resolve(path) is { } found ? found.RealPath : null).OfType<string>();
        var owners = PackageOwners.Read(root, [.. fromRoot.Select(f => f.RootPath).Concat(identification).Distinct(StringComparer.Ordinal)], packages, indexDirectory);
        if (owners is not null) Attribute(tree, fromRoot, owners);
        return owners;
    }

    /// <summary>
    /// Adds the metadata of the packages <see cref="Attribute"/> found for the files of <paramref name="tree"/>, with the
    /// root's OS identification; returns those packages (none: nothing is added).
    /// </summary>
    /// <param name="hashes">Where files' MD5s are remembered between builds; null: every shipped file is read.</param>
    public static IReadOnlyList<InstalledPackage> Add(FileTree tree, HostFiles root, PackageOwners? owners, FileHashMemo? hashes = null)
    {
        if (owners is null || !tree.Entries().Any(e => e.Provenance.Package is not null)) return [];
        // The OS identification comes along when any package does: it is base-files', so that package is then shipped too.
        foreach (var path in Identification)
            if (tree.Find(path) is null && root.Resolve(path) is { } found && root.Status(found.RealPath).IsFile)
                root.AddFile(tree, path, Provenance.Note("the OS identification scanners read"));
        Attribute(tree, FromRoot(tree, root), owners);
        var shipped = tree.Entries().Where(e => e.Provenance.Package is not null).GroupBy(e => e.Provenance.Package!.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var files in shipped)
        {
            var package = files.First().Provenance.Package!;
            var reason = Provenance.Note($"package metadata of {package.Name} {package.Version} (for scanners)");
            tree.Add(FileEntry.Inline($"{StatusDirectory}/{package.Name}", Encoding.UTF8.GetBytes(package.Control), 0x1A4, reason));
            var md5sums = new StringBuilder();
            foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                var source = file.SourcePath!;
                var md5 = hashes is null ? Md5(source) : hashes.Md5Of(source, () => Md5(source));
                md5sums.Append(md5).Append("  ").Append(file.Path[1..]).Append('\n');
            }
            tree.Add(FileEntry.Inline($"{StatusDirectory}/{package.Name}.md5sums", Encoding.UTF8.GetBytes(md5sums.ToString()), 0x1A4, reason));
        }
        return [.. shipped.Select(g => g.First().Provenance.Package!)];
    }

    private static string Md5(string hostPath)
    {
        using var stream = RegularFile.OpenRead(hostPath);
        return Convert.ToHexStringLower(MD5.HashData(stream));
    }

    private static void Attribute(FileTree tree, IEnumerable<(FileEntry Entry, string RootPath)> files, PackageOwners owners)
    {
        foreach (var (entry, rootPath) in files)
            if (owners.Owner(rootPath) is { } package && entry.Provenance.Package != package)
                tree.SetProvenance(entry.Path, entry.Provenance with { Package = package });
    }

    /// <summary>The regular files of the tree whose bytes are a file of the root, with that file's path in the root.</summary>
    private static List<(FileEntry Entry, string RootPath)> FromRoot(FileTree tree, HostFiles root)
    {
        var prefix = root.Root.TrimEnd('/');
        var files = new List<(FileEntry, string)>();
        foreach (var entry in tree.Entries())
        {
            if (entry.Kind != EntryKind.File || entry.Provenance.FromRecipe || entry.SourcePath is not { } source) continue;
            if (prefix.Length == 0) files.Add((entry, source));
            else if (source.StartsWith(prefix + "/", StringComparison.Ordinal)) files.Add((entry, source[prefix.Length..]));
        }
        return files;
    }
}
