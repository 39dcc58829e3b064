using TinyImage.Core;
using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Unit;

public sealed class HostFilesTests : IDisposable
{
    private readonly TempRoot _root = new();
    private readonly HostFiles _host;

    public HostFilesTests()
    {
        _host = new HostFiles(_root.Path);
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Root_is_the_full_path_and_HostPath_maps_inside_it()
    {
        Assert.Equal(_root.Path, _host.Root);
        Assert.Equal(_root.Path + "/usr/bin/x", _host.HostPath("/usr//bin/./x"));
        Assert.Equal(_root.Path + "/etc", _host.HostPath("/../../etc"));
        Assert.Equal("/usr/bin", new HostFiles("/").HostPath("/usr/lib/../bin"));
    }

    [Fact]
    public void A_plain_file_resolves_to_itself_with_no_links()
    {
        _root.File("usr/bin/tool");

        var (real, links) = _host.Resolve("/usr/bin/tool")!.Value;

        Assert.Equal("/usr/bin/tool", real);
        Assert.Empty(links);
    }

    [Fact]
    public void A_relative_link_to_a_directory_is_kept_and_followed()
    {
        _root.File("usr/bin/tool");
        _root.Link("bin", "usr/bin");

        var (real, links) = _host.Resolve("/bin/tool")!.Value;

        Assert.Equal("/usr/bin/tool", real);
        Assert.Equal([("/bin", "usr/bin")], links);
    }

    [Fact]
    public void A_link_as_the_last_component_is_followed()
    {
        _root.Dir("usr/bin");
        _root.Link("bin", "usr/bin");

        Assert.Equal("/usr/bin", _host.Resolve("/bin")!.Value.RealPath);
    }

    [Fact]
    public void Absolute_link_targets_resolve_inside_the_root()
    {
        _root.File("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        _root.Link("lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");

        var (real, links) = _host.Resolve("/lib64/ld-linux-x86-64.so.2")!.Value;

        Assert.Equal("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", real);
        Assert.Equal([("/lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")], links);
    }

    [Fact]
    public void A_chain_of_links_is_listed_in_order()
    {
        _root.File("usr/lib/libtinfo.so.6.4");
        _root.Link("usr/lib/libtinfo.so.6", "libtinfo.so.6.4");
        _root.Link("lib", "usr/lib");

        var (real, links) = _host.Resolve("/lib/libtinfo.so.6")!.Value;

        Assert.Equal("/usr/lib/libtinfo.so.6.4", real);
        Assert.Equal([("/lib", "usr/lib"), ("/usr/lib/libtinfo.so.6", "libtinfo.so.6.4")], links);
    }

    [Fact]
    public void Dot_dot_after_a_symlinked_directory_goes_to_the_target_parent()
    {
        _root.Dir("opt/app/lib/real");
        _root.File("opt/app/lib/libx.so");
        _root.Link("sym", "opt/app/lib/real");

        // Lexically "/sym/../libx.so" would be "/libx.so"; the kernel gives /opt/app/lib/libx.so.
        var (real, links) = _host.Resolve("/sym/../libx.so")!.Value;

        Assert.Equal("/opt/app/lib/libx.so", real);
        Assert.Equal([("/sym", "opt/app/lib/real")], links);
    }

    [Fact]
    public void A_dangling_link_resolves_to_null_and_AddFile_fails_naming_the_path()
    {
        _root.Link("bin/gone", "../nowhere/gone");

        Assert.Null(_host.Resolve("/bin/gone"));
        var e = Assert.Throws<TinyImageException>(() => _host.AddFile(new FileTree(), "/bin/gone", Provenance.Note("test")));
        Assert.Contains("/bin/gone", e.Message);
        Assert.Contains("no such file", e.Message);
    }

    [Fact]
    public void A_missing_path_or_a_file_used_as_a_directory_resolves_to_null()
    {
        _root.File("etc/passwd");

        Assert.Null(_host.Resolve("/etc/missing"));
        Assert.Null(_host.Resolve("/nope/x"));
        Assert.Null(_host.Resolve("/etc/passwd/x"));
    }

    [Fact]
    public void A_link_pointing_outside_the_root_stays_inside_it()
    {
        var marker = Path.GetFileName(_root.Path);
        _root.File("etc/secret", "inside");
        _root.Link("rel", "../../../../../../etc/secret");
        _root.Link("up", "../../" + marker + "-not-there/x");

        Assert.Equal("/etc/secret", _host.Resolve("/rel")!.Value.RealPath);
        Assert.Equal("/etc/secret", _host.Resolve("/../../../etc/secret")!.Value.RealPath);
        Assert.Null(_host.Resolve("/up"));
    }

    [Fact]
    public void A_symlink_loop_is_a_clear_error()
    {
        _root.Link("a", "b");
        _root.Link("b", "a");

        var e = Assert.Throws<TinyImageException>(() => _host.Resolve("/a/x"));
        Assert.Contains("too many levels of symbolic links", e.Message);
    }

    [Fact]
    public void AddFile_adds_the_links_on_the_way_and_the_real_file_with_its_mode()
    {
        var hostFile = _root.File("usr/lib/libtinfo.so.6.4", "elf",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        _root.Link("usr/lib/libtinfo.so.6", "libtinfo.so.6.4");
        _root.Link("lib", "usr/lib");
        var tree = new FileTree();

        var real = _host.AddFile(tree, "/lib/libtinfo.so.6", Provenance.Note("needed by bash"));

        Assert.Equal("/usr/lib/libtinfo.so.6.4", real);
        Assert.Equal(["/lib", "/usr", "/usr/lib", "/usr/lib/libtinfo.so.6", "/usr/lib/libtinfo.so.6.4"],
            tree.Entries().Select(e => e.Path));
        Assert.Equal("usr/lib", tree.Find("/lib")!.LinkTarget);
        Assert.Equal("libtinfo.so.6.4", tree.Find("/usr/lib/libtinfo.so.6")!.LinkTarget);
        var file = tree.Find("/usr/lib/libtinfo.so.6.4")!;
        Assert.Equal(EntryKind.File, file.Kind);
        Assert.Equal(hostFile, file.SourcePath);
        Assert.Equal(0x1E8, file.Mode); // 0750
        Assert.Equal("needed by bash", file.Provenance.Describe());
    }

    [Fact]
    public void AddFile_keeps_the_directory_a_dot_dot_leaves()
    {
        _root.Dir("opt/app/lib/real");
        File.SetUnixFileMode(_root.Host("opt/app/lib/real"), (UnixFileMode)0x1C0); // 0700
        _root.File("opt/app/lib/libx.so");
        _root.Link("sym", "opt/app/lib/real");
        var tree = new FileTree();

        var real = _host.AddFile(tree, "/sym/../libx.so", Provenance.Note("rpath"));

        Assert.Equal("/opt/app/lib/libx.so", real);
        var left = tree.Find("/opt/app/lib/real")!;
        Assert.Equal(EntryKind.Directory, left.Kind);
        Assert.Equal(0x1C0, left.Mode);
        Assert.Equal(EntryKind.Symlink, tree.Find("/sym")!.Kind);
    }

    [Fact]
    public void AddFile_on_a_directory_is_an_error()
    {
        _root.Dir("usr/share");

        var e = Assert.Throws<TinyImageException>(() => _host.AddFile(new FileTree(), "/usr/share", Provenance.Note("test")));
        Assert.Contains("/usr/share", e.Message);
        Assert.Contains("AddDirectory", e.Message);
    }

    [Fact]
    public void ModeOf_keeps_setuid_setgid_and_sticky_bits()
    {
        var path = _root.File("bin/su");
        File.SetUnixFileMode(path, (UnixFileMode)0xDED); // 06755

        Assert.Equal(0xDED, HostFiles.ModeOf(path));
    }
}
