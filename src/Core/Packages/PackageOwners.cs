using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Packages;

/// <summary>
/// Which package each path of a root belongs to: from the packages themselves for a root made of Debian packages, else
/// from the root's dpkg database (<see cref="DpkgDatabase"/>). A path is also looked up by its merged-/usr twin.
/// </summary>
public sealed class PackageOwners
{
    private readonly Func<string, InstalledPackage?> _owner;

    private PackageOwners(Func<string, InstalledPackage?> owner) => _owner = owner;

    /// <summary>The package that shipped <paramref name="path"/> (an absolute path in the root), or null.</summary>
    public InstalledPackage? Owner(string path) => _owner(path);

    /// <summary>
    /// The owners of <paramref name="paths"/> in <paramref name="root"/>: from <paramref name="packages"/> when the root
    /// is made of them, else from its dpkg database; null when the root has neither.
    /// </summary>
    /// <param name="indexDirectory">Where an index of the dpkg database's lists is kept between builds; null: none.</param>
    public static PackageOwners? Read(HostFiles root, IReadOnlyCollection<string> paths, IReadOnlyList<Debian.InstalledPackage>? packages, string? indexDirectory = null)
    {
        if (packages is null)
            return DpkgDatabase.Read(root, paths, indexDirectory) is { } database ? new PackageOwners(database.Owner) : null;
        var owners = new Dictionary<string, InstalledPackage>(StringComparer.Ordinal);
        // Packages are listed in the order they were laid down: where two ship a path, the later one's file is in the root.
        foreach (var package in packages)
        {
            var installed = FromDebian(package);
            foreach (var file in package.Files) owners[file] = installed;
        }
        return new PackageOwners(path => DpkgDatabase.Spellings(path).Select(owners.GetValueOrDefault).FirstOrDefault(p => p is not null));
    }

    /// <summary>A package of a root of Debian packages as its dpkg status would record it.</summary>
    private static InstalledPackage FromDebian(Debian.InstalledPackage package) => new(
        package.Package.Name, package.Package.Version, package.Package.Architecture, package.Control["Source"], package.Control.ToText());
}
