using System.Text;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Packages;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Packages;

/// <summary>
/// What a build found in a dpkg database for its paths, remembered for the next build (<see cref="DpkgOwnersMemo"/>):
/// the same owners as reading the database, used only while the database is as it was, never when damaged.
/// </summary>
public sealed class DpkgOwnersMemoTests
{
    /// <summary>Late enough that the root written just now has settled (<see cref="FileStamp.IsSettled"/>).</summary>
    private static readonly DateTimeOffset Later = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);

    private static readonly string[] Paths = ["/usr/bin/tool", "/usr/lib/libx.so.1", "/nowhere"];

    private static HostFiles Root(TempDirectory dir, params (string Name, string[] Paths)[] lists) => DpkgOwnerIndexTests.Root(dir, lists);

    private static string[] Memos(TempDirectory dir) =>
        Directory.Exists(dir.Combine("cache/owners")) ? Directory.GetFiles(dir.Combine("cache/owners")) : [];

    private static void AssertSameOwners(DpkgDatabase expected, DpkgDatabase actual, IEnumerable<string> paths)
    {
        foreach (var path in paths) Assert.Equal(expected.Owner(path), actual.Owner(path));
    }

    [Fact]
    public void A_second_read_of_an_unchanged_database_gives_the_same_owners_from_the_memo_without_the_index()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("tool", ["/usr/bin/tool"]), ("libx", ["/usr/lib/libx.so.1", "/lib/libx.so.1"]));
        var read = DpkgDatabase.Read(root, Paths)!;

        var first = DpkgDatabase.Read(root, Paths, dir.Combine("cache"), Later)!;
        Assert.Single(Memos(dir));
        // The index of the lists is what a build without the memo reads; gone, it is not made again.
        foreach (var index in Directory.GetFiles(dir.Combine("cache"))) File.Delete(index);
        var second = DpkgDatabase.Read(root, Paths, dir.Combine("cache"), Later)!;

        Assert.Empty(Directory.GetFiles(dir.Combine("cache")));
        AssertSameOwners(read, first, Paths);
        AssertSameOwners(read, second, Paths);
        Assert.Equal("libx-src (2)", second.Owner("/usr/lib/libx.so.1")!.Source);
        Assert.Contains("Description: libx\n more", second.Owner("/usr/lib/libx.so.1")!.Control);
        Assert.Null(second.Owner("/nowhere"));
    }

    [Fact]
    public void The_host_database_round_trips_through_the_memo()
    {
        using var dir = new TempDirectory();
        var host = new HostFiles("/");
        var lists = Directory.GetFiles("/var/lib/dpkg/info", "*.list");
        Assert.True(lists.Length > 50, "this test reads the host's dpkg database");
        var paths = lists.Where((_, i) => i % 5 == 0).Select(l => File.ReadLines(l).LastOrDefault(p => p.Length > 1))
            .OfType<string>().Concat(["/lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libc.so.6"]).Distinct().ToList();

        var read = DpkgDatabase.Read(host, paths)!;
        DpkgDatabase.Read(host, paths, dir.Combine("cache"), Later);
        foreach (var index in Directory.GetFiles(dir.Combine("cache"))) File.Delete(index);
        var remembered = DpkgDatabase.Read(host, paths, dir.Combine("cache"), Later)!;

        Assert.Empty(Directory.GetFiles(dir.Combine("cache"))); // read from the memo alone
        Assert.Single(Memos(dir));
        Assert.Contains(paths, p => remembered.Owner(p) is not null);
        AssertSameOwners(read, remembered, paths);
    }

    [Fact]
    public void A_database_dpkg_changed_is_read_again()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("old", ["/usr/bin/tool"]));
        Assert.Equal("old", DpkgDatabase.Read(root, Paths, dir.Combine("cache"), Later)!.Owner("/usr/bin/tool")!.Name);

        // dpkg replaces the package: a new status file and list, renamed into place.
        Root(dir, ("new", ["/usr/bin/tool"]));
        File.Delete(dir.Combine("root/var/lib/dpkg/info/old:amd64.list"));

        Assert.Equal("new", DpkgDatabase.Read(root, Paths, dir.Combine("cache"), Later)!.Owner("/usr/bin/tool")!.Name);
    }

    [Fact]
    public void A_database_that_changed_in_the_last_seconds_is_not_remembered()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("tool", ["/usr/bin/tool"]));

        Assert.Equal("tool", DpkgDatabase.Read(root, Paths, dir.Combine("cache"), DateTimeOffset.UtcNow)!.Owner("/usr/bin/tool")!.Name);

        Assert.Empty(Memos(dir));
    }

    [Fact]
    public void The_order_of_the_paths_decides_which_spelling_a_merged_usr_file_is_found_under()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("libx", ["/lib/libx.so.1"]));
        string[] forward = ["/lib/libx.so.1", "/usr/lib/libx.so.1"], backward = ["/usr/lib/libx.so.1", "/lib/libx.so.1"];

        var expectedForward = DpkgDatabase.Read(root, forward)!;
        var expectedBackward = DpkgDatabase.Read(root, backward)!;
        DpkgDatabase.Read(root, forward, dir.Combine("cache"), Later);
        DpkgDatabase.Read(root, backward, dir.Combine("cache"), Later);

        Assert.Equal(2, Memos(dir).Length);
        AssertSameOwners(expectedForward, DpkgDatabase.Read(root, forward, dir.Combine("cache"), Later)!, forward);
        AssertSameOwners(expectedBackward, DpkgDatabase.Read(root, backward, dir.Combine("cache"), Later)!, backward);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("empty")]
    [InlineData("fifo")]
    [InlineData("symlink")]
    public void A_damaged_memo_is_never_believed(string damage)
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("tool", ["/usr/bin/tool"]), ("libx", ["/usr/lib/libx.so.1"]));
        DpkgDatabase.Read(root, Paths, dir.Combine("cache"), Later);
        var memo = Assert.Single(Memos(dir));
        var bytes = File.ReadAllBytes(memo);
        File.Delete(memo);
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(memo, bytes[..^20]); break;
            case "flipped":
                // The owner of /usr/bin/tool, package 0, said to be package 1's: the checksum no longer matches.
                File.WriteAllText(memo, Encoding.UTF8.GetString(bytes).Replace("/usr/bin/tool\t0", "/usr/bin/tool\t1", StringComparison.Ordinal));
                Assert.NotEqual(bytes, File.ReadAllBytes(memo));
                break;
            case "empty": File.WriteAllBytes(memo, []); break;
            case "fifo": Assert.Equal(0, Run.Process("mkfifo", [memo]).ExitCode); break;
            case "symlink":
                // To a well-formed record (its checksum made again) that gives /usr/bin/tool to libx: never followed.
                File.WriteAllText(dir.Combine("elsewhere"), WithChecksum(Encoding.UTF8.GetString(bytes).Replace("/usr/bin/tool\t0", "/usr/bin/tool\t1", StringComparison.Ordinal)));
                File.CreateSymbolicLink(memo, dir.Combine("elsewhere"));
                break;
        }

        var owners = DpkgDatabase.Read(root, Paths, dir.Combine("cache"), Later)!;

        Assert.Equal("tool", owners.Owner("/usr/bin/tool")!.Name);
        Assert.Equal("libx", owners.Owner("/usr/lib/libx.so.1")!.Name);
    }

    [Fact]
    public void A_well_formed_memo_is_believed_while_its_database_is_unchanged()
    {
        using var dir = new TempDirectory();
        var root = Root(dir, ("tool", ["/usr/bin/tool"]), ("libx", ["/usr/lib/libx.so.1"]));
        DpkgDatabase.Read(root, Paths, dir.Combine("cache"), Later);
        var memo = Assert.Single(Memos(dir));
        File.WriteAllText(memo, WithChecksum(File.ReadAllText(memo).Replace("/usr/bin/tool\t0", "/usr/bin/tool\t1", StringComparison.Ordinal)));

        // What the symlink and checksum cases above would give, were they believed.
        Assert.Equal("libx", DpkgDatabase.Read(root, Paths, dir.Combine("cache"), Later)!.Owner("/usr/bin/tool")!.Name);
    }

    /// <summary>A record with its checksum line (the fourth) made again for its body.</summary>
    private static string WithChecksum(string record)
    {
        var lines = record.Split('\n', 5);
        lines[3] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(lines[4])));
        return string.Join('\n', lines);
    }

    [Fact]
    public void Prune_removes_the_memos_of_databases_that_changed_and_keeps_the_others()
    {
        using var dir = new TempDirectory();
        var kept = Root(dir, ("tool", ["/usr/bin/tool"]));
        DpkgDatabase.Read(kept, Paths, dir.Combine("cache"), Later);
        using var other = new TempDirectory();
        var changed = Root(other, ("tool", ["/usr/bin/tool"]));
        DpkgDatabase.Read(changed, Paths, dir.Combine("cache"), Later);
        Assert.Equal(2, Memos(dir).Length);
        File.WriteAllText(other.Combine("root/var/lib/dpkg/status"), "");
        var killed = dir.Combine("cache/owners/.abc.123.tmp");
        File.WriteAllText(killed, "half");
        File.SetLastWriteTimeUtc(killed, DateTime.UtcNow - TimeSpan.FromMinutes(5));

        var (records, bytes) = DpkgOwnersMemo.Prune(dir.Combine("cache"));

        Assert.Equal(1, records);
        Assert.True(bytes > 4);
        Assert.Single(Memos(dir));
        Assert.Equal("tool", DpkgDatabase.Read(kept, Paths, dir.Combine("cache"), Later)!.Owner("/usr/bin/tool")!.Name);

        // A month old, it goes; with --all, every one goes.
        File.SetLastWriteTimeUtc(Memos(dir)[0], DateTime.UtcNow - TimeSpan.FromDays(31));
        Assert.Equal(1, DpkgOwnersMemo.Prune(dir.Combine("cache")).Records);
        DpkgDatabase.Read(kept, Paths, dir.Combine("cache"), Later);
        Assert.Equal(1, DpkgOwnersMemo.Prune(dir.Combine("cache"), all: true).Records);
        Assert.Empty(Memos(dir));
    }
}
