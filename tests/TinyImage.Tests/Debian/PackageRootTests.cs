using System.Formats.Tar;
using TinyImage.Core.Debian;

namespace TinyImage.Tests.Debian;

/// <summary>How a root is laid down from several packages: order, shared paths, links to directories.</summary>
public sealed class PackageRootTests
{
    [Fact]
    public async Task The_dependent_package_wins_a_shared_path_whatever_the_names_and_links_to_directories_are_followed()
    {
        using var archive = new LoopbackArchive(mirror =>
        {
            // "aaa-top" sorts first but depends on "zzz-base", so it is laid down last and its file wins.
            mirror.Add(TestDeb.Control("zzz-base", "1", extra: "Priority: required"),
            [
                new("./etc/shared.conf", Content: "from base\n"),
                new("./usr/share/real/", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
                new("./usr/share/alias", TarEntryType.SymbolicLink, LinkName: "real"),
                new("./usr/share/escape", TarEntryType.SymbolicLink, LinkName: "../../../../../../etc/passwd"),
            ]);
            mirror.Add(TestDeb.Control("aaa-top", "1", extra: "Depends: zzz-base"),
            [
                new("./etc/shared.conf", Content: "from top\n"),
                new("./usr/share/alias/", TarEntryType.Directory, Mode: (UnixFileMode)0x1ed),
                new("./usr/share/alias/file", Content: "through the link\n"),
                new("./usr/share/real", TarEntryType.SymbolicLink, LinkName: "elsewhere"),
            ]);
        });
        var packageLock = (await archive.OpenAsync()).Resolve(["aaa-top"]);

        var root = await PackageRoot.MaterializeAsync(packageLock, archive.Options, CancellationToken.None);

        Assert.Equal(["zzz-base", "aaa-top"], root.Packages.Select(p => p.Package.Name));
        Assert.Equal("from top\n", File.ReadAllText(Path.Combine(root.Directory, "etc/shared.conf")));
        // A directory shipped where a link to a directory is stays that link, and its files land in the directory (dpkg does so).
        Assert.Equal("real", new FileInfo(Path.Combine(root.Directory, "usr/share/alias")).LinkTarget);
        Assert.Equal("through the link\n", File.ReadAllText(Path.Combine(root.Directory, "usr/share/real/file")));
        Assert.Contains("/usr/share/real/file", root.Packages[1].Files);
        // A directory is never replaced by a link; a link out of the root is kept as written, never followed.
        Assert.True(Directory.Exists(Path.Combine(root.Directory, "usr/share/real")) && new FileInfo(Path.Combine(root.Directory, "usr/share/real")).LinkTarget is null);
        Assert.Equal("../../../../../../etc/passwd", new FileInfo(Path.Combine(root.Directory, "usr/share/escape")).LinkTarget);
    }
}
