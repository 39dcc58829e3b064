using System.Security.Cryptography;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Sbom;

/// <summary>
/// What an image's SBOM says, whatever the format: the image, its distribution, its packages (with versions, purls and
/// licenses), every regular file with its hashes and package, and which file loads which. Everything is sorted, and
/// nothing depends on the clock: the same image gives the same document.
/// </summary>
/// <param name="Name">The image's name, e.g. <c>curl:latest</c>.</param>
/// <param name="ShortName">The last part of its repository, e.g. <c>curl</c>: the application's name.</param>
/// <param name="Digest">The image's manifest digest, <c>sha256:…</c>.</param>
/// <param name="Architecture">The OCI architecture, e.g. <c>amd64</c>.</param>
/// <param name="Created">The image's creation time (SOURCE_DATE_EPOCH, or 1970-01-01).</param>
public sealed record SbomDocument(string Name, string ShortName, string Digest, string Architecture, DateTimeOffset Created)
{
    /// <summary>The distribution the image's packages come from, when the root says.</summary>
    public OsRelease? Os { get; init; }

    /// <summary>The packages of the files, sorted by name.</summary>
    public IReadOnlyList<SbomPackage> Packages { get; init; } = [];

    /// <summary>The regular files, sorted by path.</summary>
    public IReadOnlyList<SbomFile> Files { get; init; } = [];

    /// <summary>The image has files from the recipe's directory (the application component holds them).</summary>
    public bool HasApplicationFiles => Files.Any(f => f.Application);

    /// <summary>
    /// The document of <paramref name="tree"/> (the image's files, with their provenance), whose packages come from
    /// <paramref name="root"/> (licenses and the distribution are read there).
    /// </summary>
    /// <param name="hashes">Where host files' hashes are remembered between builds; null: every file is read.</param>
    public static SbomDocument Of(FileTree tree, HostFiles root, string name, string shortName, string digest, string architecture, DateTimeOffset created,
        FileHashMemo? hashes = null)
    {
        var os = OsRelease.Read(root);
        var entries = tree.Entries();
        var packages = new Dictionary<string, SbomPackage>(StringComparer.Ordinal); // listed by name below
        foreach (var package in entries.Select(e => e.Provenance.Package).OfType<Packages.InstalledPackage>())
            if (!packages.ContainsKey(package.Name))
                packages[package.Name] = new SbomPackage(package.Name, package.Version, package.Architecture, package.Source,
                    DebianCopyright.LicenseOf(root, package.Name), os?.Distro);
        // A needed file names who asked as the loader saw it (/bin/bash); the image holds that at its real path (/usr/bin/bash).
        var needed = entries.Where(e => e.Kind == EntryKind.File && e.Provenance.Need is not null)
            .Select(e => (By: Resolve(tree, e.Provenance.Need!.Requester), e.Path)).Where(n => n.By is not null)
            .ToLookup(n => n.By!, n => n.Path, StringComparer.Ordinal);
        var files = new List<SbomFile>();
        foreach (var entry in entries.Where(e => e.Kind == EntryKind.File))
        {
            var (sha256, sha1) = entry.SourcePath is { } source && hashes is not null ? hashes.Of(source, () => Hashes(entry)) : Hashes(entry);
            var dependsOn = needed[entry.Path].Where(p => p != entry.Path).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            files.Add(new SbomFile(entry.Path, sha256, sha1, entry.Provenance.Package is { } p ? packages[p.Name] : null, entry.Provenance.FromRecipe, dependsOn));
        }
        return new SbomDocument(name, shortName, digest, architecture, created) { Os = os, Packages = [.. packages.Values.OrderBy(p => p.Name, StringComparer.Ordinal)], Files = files };
    }

    /// <summary>The path of the entry <paramref name="path"/> names in the image, every link followed (null: none).</summary>
    private static string? Resolve(FileTree tree, string path)
    {
        for (var hops = 0; hops < 40; hops++)
        {
            path = tree.ResolveParents(ImagePath.Normalize(path));
            if (tree.Find(path) is not { Kind: EntryKind.Symlink, LinkTarget: { } target }) return tree.Find(path)?.Path;
            path = target.StartsWith('/') ? target : ImagePath.Combine(path[..(path.LastIndexOf('/') + 1)], target);
        }
        return null;
    }

    private static (string Sha256, string Sha1) Hashes(FileEntry entry)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        if (entry.Content is { } content)
        {
            sha256.AppendData(content);
            sha1.AppendData(content);
        }
        else
        {
            using var stream = RegularFile.OpenRead(entry.SourcePath!, 1 << 16);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                sha1.AppendData(buffer, 0, read);
            }
        }
        return (Convert.ToHexStringLower(sha256.GetHashAndReset()), Convert.ToHexStringLower(sha1.GetHashAndReset()));
    }
}
