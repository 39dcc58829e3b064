using TinyImage.Core;
using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Unit;

public sealed class FileTreeTests
{
    private const int Mode755 = 0x1ED;
    private const int Mode644 = 0x1A4;

    private static FileEntry Text(string path, string text = "x", int mode = Mode644) =>
        FileEntry.Inline(path, System.Text.Encoding.UTF8.GetBytes(text), mode, "test");

    private static string[] Paths(FileTree tree) => tree.Entries().Select(e => e.Path).ToArray();

    [Fact]
    public void Entries_are_sorted_ordinally_with_implicit_parents_0755()
    {
        var tree = new FileTree();
        tree.Add(Text("/usr/lib/b"));
        tree.Add(Text("/usr/lib/a"));
        tree.Add(Text("/B"));
        tree.Add(Text("/a"));
        tree.Add(Text("/usr/lib-x"));

        var entries = tree.Entries();

        // Ordinal: upper case before lower case, "-" (0x2D) before "/" (0x2F).
        Assert.Equal(["/B", "/a", "/usr", "/usr/lib", "/usr/lib-x", "/usr/lib/a", "/usr/lib/b"], entries.Select(e => e.Path));
        var usr = entries.Single(e => e.Path == "/usr");
        Assert.Equal(EntryKind.Directory, usr.Kind);
        Assert.Equal(Mode755, usr.Mode);
        Assert.Equal(5, tree.Count); // implicit parents are not stored
    }

    [Fact]
    public void Explicit_directory_mode_wins_over_the_implicit_default()
    {
        var tree = new FileTree();
        tree.Add(Text("/tmp/x"));
        tree.Add(FileEntry.Directory("/tmp", 0x3FF, "tmp"));

        Assert.Equal(0x3FF, tree.Entries().Single(e => e.Path == "/tmp").Mode);
    }

    [Fact]
    public void Later_directory_sets_the_mode()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Directory("/data", Mode755, "first"));
        tree.Add(FileEntry.Directory("/data", 0x1C0, "second"));

        Assert.Equal(0x1C0, tree.Find("/data")!.Mode);
    }

    [Theory]
    [InlineData("usr/bin/x")]
    [InlineData("//usr//bin/x")]
    [InlineData("/usr/./bin/x")]
    [InlineData("/usr/lib/../bin/x")]
    [InlineData("/../../usr/bin/x")]
    public void Paths_are_normalized_on_add(string path)
    {
        var tree = new FileTree();
        var added = tree.Add(Text(path));

        Assert.Equal("/usr/bin/x", added.Path);
        Assert.NotNull(tree.Find("/usr/bin/x"));
        Assert.NotNull(tree.Find(path));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/..")]
    [InlineData("/./")]
    public void The_root_cannot_be_added(string path)
    {
        var e = Assert.Throws<TinyImageException>(() => new FileTree().Add(Text(path)));
        Assert.Contains("root", e.Message);
    }

    [Fact]
    public void Adding_identical_content_twice_is_a_no_op()
    {
        var tree = new FileTree();
        var first = tree.Add(Text("/etc/a", "same"));
        var second = tree.Add(Text("/etc/a", "same") with { Provenance = Provenance.Note("again") });

        Assert.Same(first, second);
        Assert.Equal(1, tree.Count);
        Assert.Equal("test", tree.Find("/etc/a")!.Provenance.Describe());
    }

    [Fact]
    public void Adding_the_same_host_file_or_symlink_twice_is_a_no_op()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.HostFile("/bin/sh", "/host/sh", Mode755, "a"));
        tree.Add(FileEntry.HostFile("/bin/sh", "/host/sh", Mode755, "b"));
        tree.Add(FileEntry.Link("/lib64", "usr/lib64", "a"));
        tree.Add(FileEntry.Link("/lib64", "usr/lib64", "b"));

        Assert.Equal(2, tree.Count);
        Assert.Equal("a", tree.Find("/bin/sh")!.Provenance.Describe());
        Assert.Equal("a", tree.Find("/lib64")!.Provenance.Describe());
    }

    [Fact]
    public void A_later_file_replaces_an_earlier_one()
    {
        var tree = new FileTree();
        tree.Add(Text("/etc/motd", "old"));
        tree.Add(Text("/etc/motd", "new"));
        tree.Add(FileEntry.HostFile("/bin/x", "/host/one", Mode755, "one"));
        tree.Add(FileEntry.HostFile("/bin/x", "/host/two", Mode755, "two"));

        Assert.Equal("new"u8.ToArray(), tree.Find("/etc/motd")!.Content);
        Assert.Equal("/host/two", tree.Find("/bin/x")!.SourcePath);
        Assert.Equal(2, tree.Count);
    }

    [Fact]
    public void A_file_with_another_mode_replaces_the_earlier_one()
    {
        var tree = new FileTree();
        tree.Add(Text("/run.sh", "x", Mode644));
        tree.Add(Text("/run.sh", "x", Mode755));

        Assert.Equal(Mode755, tree.Find("/run.sh")!.Mode);
    }

    [Fact]
    public void A_file_over_a_directory_is_an_error_naming_the_path()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Directory("/etc/conf", Mode755, "mkdir"));

        var e = Assert.Throws<TinyImageException>(() => tree.Add(Text("/etc/conf")));
        Assert.Contains("'/etc/conf'", e.Message);
        Assert.Contains("directory", e.Message);
    }

    [Fact]
    public void A_directory_over_a_file_is_an_error_naming_the_path()
    {
        var tree = new FileTree();
        tree.Add(Text("/etc/conf"));

        var e = Assert.Throws<TinyImageException>(() => tree.Add(FileEntry.Directory("/etc/conf", Mode755, "mkdir")));
        Assert.Contains("'/etc/conf'", e.Message);
    }

    [Fact]
    public void A_file_over_an_implicit_directory_is_an_error_naming_the_path()
    {
        var tree = new FileTree();
        tree.Add(Text("/opt/app/bin"));

        var e = Assert.Throws<TinyImageException>(() => tree.Add(Text("/opt/app")));
        Assert.Contains("'/opt/app'", e.Message);
        Assert.Single(tree.Entries(), x => x.Kind == EntryKind.File);
    }

    [Fact]
    public void A_directory_over_an_implicit_directory_is_fine()
    {
        var tree = new FileTree();
        tree.Add(Text("/opt/app/bin"));
        tree.Add(FileEntry.Directory("/opt/app", 0x1C0, "mkdir"));

        Assert.Equal(0x1C0, tree.Entries().Single(e => e.Path == "/opt/app").Mode);
    }

    [Fact]
    public void A_symlink_over_an_explicit_directory_is_an_error()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Directory("/bin", Mode755, "mkdir"));

        var e = Assert.Throws<TinyImageException>(() => tree.Add(FileEntry.Link("/bin", "usr/bin", "merged /usr")));
        Assert.Contains("'/bin'", e.Message);
    }

    [Fact]
    public void A_file_under_a_symlinked_directory_lands_at_the_target()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Link("/bin", "usr/bin", "merged /usr"));
        var added = tree.Add(Text("/bin/x"));

        Assert.Equal("/usr/bin/x", added.Path);
        Assert.Equal(["/bin", "/usr", "/usr/bin", "/usr/bin/x"], Paths(tree));
        Assert.Null(tree.Find("/bin/x")); // Find does not follow links
        Assert.Equal(EntryKind.Symlink, tree.Find("/bin")!.Kind);
    }

    [Fact]
    public void Absolute_and_dot_dot_link_targets_are_followed_in_the_tree()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Link("/lib64", "/usr/lib64", "abs"));
        tree.Add(FileEntry.Link("/usr/lib64", "../lib/x86_64", "rel"));

        Assert.Equal("/lib/x86_64/ld.so", tree.ResolveParents("/lib64/ld.so"));
        Assert.Equal("/lib/x86_64/ld.so", tree.Add(Text("/lib64/ld.so")).Path);
    }

    [Fact]
    public void The_last_component_is_not_followed()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Link("/bin", "usr/bin", "merged /usr"));

        Assert.Equal("/bin", tree.ResolveParents("/bin"));
    }

    [Fact]
    public void Dot_dot_in_a_link_target_does_not_climb_above_the_root()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Link("/a", "../../../b", "up"));

        Assert.Equal("/b/x", tree.ResolveParents("/a/x"));
    }

    [Fact]
    public void A_symlink_over_an_implicit_directory_rehomes_its_children()
    {
        var tree = new FileTree();
        tree.Add(Text("/bin/x", "x"));
        tree.Add(Text("/bin/sub/y", "y"));

        tree.Add(FileEntry.Link("/bin", "usr/bin", "merged /usr"));

        Assert.Equal(["/bin", "/usr", "/usr/bin", "/usr/bin/sub", "/usr/bin/sub/y", "/usr/bin/x"], Paths(tree));
        Assert.Equal("x"u8.ToArray(), tree.Find("/usr/bin/x")!.Content);
        Assert.Equal("usr/bin", tree.Find("/bin")!.LinkTarget);
    }

    [Fact]
    public void A_symlink_loop_is_a_clear_error()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Link("/a", "b", "loop"));
        tree.Add(FileEntry.Link("/b", "/a", "loop"));

        var e = Assert.Throws<TinyImageException>(() => tree.Add(Text("/a/x")));
        Assert.Contains("too many levels of symbolic links", e.Message);
        Assert.Contains("/a/x", e.Message);
    }

    [Fact]
    public void A_self_link_is_a_loop()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Link("/self", "self", "loop"));

        Assert.Throws<TinyImageException>(() => tree.ResolveParents("/self/x"));
    }

    [Fact]
    public void A_file_may_replace_a_symlink_and_a_symlink_a_file()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Link("/etc/localtime", "/usr/share/zoneinfo/UTC", "tz"));
        tree.Add(Text("/etc/localtime", "TZif"));
        Assert.Equal(EntryKind.File, tree.Find("/etc/localtime")!.Kind);

        tree.Add(FileEntry.Link("/etc/localtime", "/usr/share/zoneinfo/UTC", "tz"));
        Assert.Equal(EntryKind.Symlink, tree.Find("/etc/localtime")!.Kind);
    }

    [Fact]
    public void Find_normalizes_its_argument()
    {
        var tree = new FileTree();
        tree.Add(Text("/etc/a"));

        Assert.NotNull(tree.Find("etc//./a"));
        Assert.Null(tree.Find("/etc"));
    }

    [Fact]
    public void Nothing_can_be_added_under_a_file_or_a_symlink_to_nowhere_in_the_tree()
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Inline("/etc/app", "x"u8.ToArray(), 0x1A4, "first"));
        var file = Assert.Throws<TinyImageException>(() => tree.Add(FileEntry.Inline("/etc/app/conf", "y"u8.ToArray(), 0x1A4, "second")));
        Assert.Contains("'/etc/app/conf' is added under '/etc/app', which is a file (first)", file.Message);
        Assert.Throws<TinyImageException>(() => tree.Add(FileEntry.Directory("/etc/app/d", 0x1ED, "third")));
    }
}
