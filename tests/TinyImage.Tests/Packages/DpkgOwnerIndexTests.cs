using TinyImage.Core.FileSystem;
using TinyImage.Core.Packages;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Packages;

/// <summary>
/// The index of a dpkg database's lists kept between builds (<see cref="DpkgOwnerIndex"/>): the same owners as reading
/// every list, made again when dpkg has changed the database, and never trusted when damaged.
/// </summary>
public sealed class DpkgOwnerIndexTests
{
    /// <summary>
    /// A root whose database has the packages <paramref name="lists"/> (name, paths), installed in that order, each with
    /// a Source field (<c>NAME-src (2)</c>) and a description of two lines.
    /// </summary>
    internal static HostFiles Root(TempDirectory dir, params (string Name, string[] Paths)[] lists)
    {
        Directory.CreateDirectory(dir.Combine("root/var/lib/dpkg/info"));
        File.WriteAllText(dir.Combine("root/var/lib/dpkg/status"), string.Concat(lists.Select(l =>
            $"Package: {l.Name}\nStatus: install ok installed\nArchitecture: amd64\nSource: {l.Name}-src (2)\nVersion: 1.0\nDescription: {l.Name}\n more\n\n")));
        foreach (var (name, paths) in lists)
            File.WriteAllText(dir.Combine($"root/var/lib/dpkg/info/{name}:amd64.list"), string.Concat(paths.Select(p => p + "\n")));
        return new HostFiles(dir.Combine("root"));
    }

    private static string? OwnerOf(HostFiles root, string path, string? index) => DpkgDatabase.Read(root, [path], index)?.Owner(path)?.Name;

    [Fact]
    public void The_host_database_gives_the_same_owners_with_and_without_the_index()
    {
        using var dir = new TempDirectory();
        var host = new HostFiles("/");
        var lists = Directory.GetFiles("/var/lib/dpkg/info", "*.list");
        Assert.True(lists.Length > 50, "this test reads the host's dpkg database");
        // A path from every 7th list, the loader, and paths no package lists.
        var paths = lists.Where((_, i) => i % 7 == 0).Select(l => File.ReadLines(l).LastOrDefault(p => p.Length > 1))
            .OfType<string>().Concat(["/lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/nowhere/at/all", "/"]).Distinct().ToList();

        var without = DpkgDatabase.Read(host, paths)!;
        var first = DpkgDatabase.Read(host, paths, dir.Combine("index"))!;   // makes the index
        var second = DpkgDatabase.Read(host, paths, dir.Combine("index"))!;  // reads it

        Assert.Single(Directory.GetFiles(dir.Combine("index")));
        Assert.Contains(paths, p => without.Owner(p) is not null);
        foreach (var path in paths)
        {
            Assert.Equal(without.Owner(path)?.Name, first.Owner(path)?.Name);
            Assert.Equal(without.Owner(path), second.Owner(path));
        }
        Assert.Equal("libc6", second.Owner("/usr/lib/x86_64-linux-gnu/libc.so.6")?.Name);
        Assert.Null(second.Owner("/nowhere/at/all"));
    }

    [Fact]
    public void A_diverted_path_belongs_to_the_first_package_in_the_status_file_as_without_the_index()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("first", ["/usr/bin/tool", "/usr/share/a"]), ("second", ["/usr/bin/tool", "/usr/share/b"]));

        Assert.Equal("first", OwnerOf(root, "/usr/bin/tool", null));
        Assert.Equal("first", OwnerOf(root, "/usr/bin/tool", dir.Combine("index")));
        Assert.Equal("second", OwnerOf(root, "/usr/share/b", dir.Combine("index")));
        Assert.Equal("first", OwnerOf(root, "/bin/tool".Replace("/bin", "/usr/bin"), dir.Combine("index")));
    }

    [Fact]
    public void A_database_dpkg_changed_is_indexed_again()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("old", ["/usr/bin/tool"]));
        Assert.Equal("old", OwnerOf(root, "/usr/bin/tool", dir.Combine("index")));

        // dpkg replaces the package: a new list and status, both renamed into place (new times).
        Thread.Sleep(20);
        Root(dir, ("new", ["/usr/bin/tool"]));
        File.Delete(dir.Combine("root/var/lib/dpkg/info/old:amd64.list"));

        Assert.Equal("new", OwnerOf(root, "/usr/bin/tool", dir.Combine("index")));
    }

    [Fact]
    public void A_damaged_or_truncated_index_is_made_again_and_never_misleads()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("pkg", ["/usr/bin/a", "/usr/bin/b", "/usr/bin/c"]));
        Assert.Equal("pkg", OwnerOf(root, "/usr/bin/b", dir.Combine("index")));
        var index = Assert.Single(Directory.GetFiles(dir.Combine("index")));
        var bytes = File.ReadAllBytes(index);

        File.WriteAllBytes(index, bytes[..^3]); // cut inside the last record
        Assert.Equal("pkg", OwnerOf(root, "/usr/bin/c", dir.Combine("index")));
        File.WriteAllBytes(index, [.. bytes.Take(bytes.Length - 12), .. "/usr/bin/a\tother:amd64\n"u8.ToArray()]); // a record changed
        Assert.Equal("pkg", OwnerOf(root, "/usr/bin/c", dir.Combine("index")));
        Assert.Equal(bytes, File.ReadAllBytes(index)); // made again
        Assert.Equal("pkg", OwnerOf(root, "/usr/bin/a", dir.Combine("index")));
        Assert.Null(OwnerOf(root, "/usr/bin/zzz", dir.Combine("index")));
    }

    [Fact]
    public void A_checked_index_is_remembered_and_one_damaged_after_the_check_is_made_again()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("pkg", ["/usr/bin/a", "/usr/bin/b", "/usr/bin/c"]));
        Assert.Equal("pkg", OwnerOf(root, "/usr/bin/b", dir.Combine("index")));
        var index = Assert.Single(Directory.GetFiles(dir.Combine("index")));
        var bytes = File.ReadAllBytes(index);
        Thread.Sleep(FileStamp.SettleTime + TimeSpan.FromMilliseconds(200)); // a stamp is trusted once settled

        Assert.Equal("pkg", OwnerOf(root, "/usr/bin/c", dir.Combine("index"))); // checked, and remembered under its stamp
        Assert.Single(Directory.GetFiles(dir.Combine("index/verified")));
        File.WriteAllBytes(index, [.. bytes.Take(bytes.Length - 12), .. "/usr/bin/a\tother:amd64\n"u8.ToArray()]); // a record changed
        Assert.Equal("pkg", OwnerOf(root, "/usr/bin/a", dir.Combine("index")));
        Assert.Equal(bytes, File.ReadAllBytes(index)); // made again
    }
}
