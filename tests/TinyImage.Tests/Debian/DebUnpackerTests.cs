using System.Diagnostics;
using System.Formats.Tar;
using TinyImage.Core;
using TinyImage.Core.Debian;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Debian;

/// <summary>.deb unpacking: real dpkg-deb output in each compression, and members that must be refused.</summary>
public sealed class DebUnpackerTests
{
    [Theory]
    [InlineData("xz")]
    [InlineData("zstd")]
    [InlineData("gzip")]
    [InlineData("none")]
    public void Unpacks_what_dpkg_deb_builds_keeping_modes_links_and_hardlinks(string compression)
    {
        using var dir = new TempDirectory();
        var tree = dir.Combine("pkg");
        dir.Write("pkg/DEBIAN/control", TestDeb.Control("oracle", "1.0-1"));
        dir.Write("pkg/usr/bin/tool", "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(tree, "usr/bin/tool"), (UnixFileMode)0x1ed);
        dir.Write("pkg/usr/share/doc/oracle/readme", "read me\n");
        File.SetUnixFileMode(Path.Combine(tree, "usr/share/doc/oracle"), (UnixFileMode)0x1c0);
        File.CreateSymbolicLink(Path.Combine(tree, "usr/bin/tool-link"), "/etc/outside/of/the/tree");
        HardLink.Create(Path.Combine(tree, "usr/bin/tool"), Path.Combine(tree, "usr/bin/tool-hard"));
        var deb = dir.Combine("oracle.deb");
        RunDpkgDeb("--root-owner-group", "-Z" + compression, "--build", tree, deb);

        DebUnpacker.Unpack(deb, dir.Combine("out"), "oracle 1.0-1");

        var data = dir.Combine("out/data");
        Assert.Equal("#!/bin/sh\n", File.ReadAllText(Path.Combine(data, "usr/bin/tool")));
        Assert.Equal((UnixFileMode)0x1ed, File.GetUnixFileMode(Path.Combine(data, "usr/bin/tool")));
        Assert.Equal((UnixFileMode)0x1c0, File.GetUnixFileMode(Path.Combine(data, "usr/share/doc/oracle")));
        Assert.Equal("/etc/outside/of/the/tree", new FileInfo(Path.Combine(data, "usr/bin/tool-link")).LinkTarget);
        Assert.Equal("#!/bin/sh\n", File.ReadAllText(Path.Combine(data, "usr/bin/tool-hard")));
        Assert.Equal("oracle", ControlStanza.ReadAll(File.ReadAllText(dir.Combine("out/control")), "c")[0]["Package"]);
        var manifest = File.ReadAllText(dir.Combine("out/manifest"));
        Assert.Contains("l\0" + "777\0usr/bin/tool-link\0/etc/outside/of/the/tree\n", manifest);
        Assert.Contains("f\0" + "755\0usr/bin/tool\0\n", manifest);
    }

    [Theory]
    [InlineData("/etc/passwd", "an absolute path")]
    [InlineData("./usr/../../escape", "'..' in a path")]
    [InlineData("./link/passwd", "written through 'link', which is a symbolic link")]
    [InlineData("./file/inside", "written through 'file', which is a file")]
    public void Members_that_escape_are_refused(string member, string why)
    {
        using var dir = new TempDirectory();
        var deb = dir.Combine("evil.deb");
        TestDeb.Write(deb, TestDeb.Control("evil", "1"),
        [
            new("./link", TarEntryType.SymbolicLink, LinkName: dir.Combine("victim")),
            new("./file", Content: "f"),
            new(member, Content: "owned\n"),
        ]);
        Directory.CreateDirectory(dir.Combine("victim"));

        var e = Assert.Throws<TinyImageException>(() => DebUnpacker.Unpack(deb, dir.Combine("out"), "evil 1"));

        Assert.Contains(why, e.Message);
        Assert.StartsWith("evil 1: refusing the member", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Combine("victim")));
        Assert.False(File.Exists("/etc/passwd-owned"));
    }

    [Fact]
    public void A_hardlink_to_something_not_in_the_archive_is_refused()
    {
        using var dir = new TempDirectory();
        var deb = dir.Combine("evil.deb");
        TestDeb.Write(deb, TestDeb.Control("evil", "1"), [new("./shadow", TarEntryType.HardLink, LinkName: "/etc/shadow")]);

        var e = Assert.Throws<TinyImageException>(() => DebUnpacker.Unpack(deb, dir.Combine("out"), "evil 1"));

        Assert.Contains("an absolute path", e.Message);
    }

    [Fact]
    public void Not_a_deb_is_refused()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<TinyImageException>(() => DebUnpacker.Unpack(dir.Write("x.deb", "hello"), dir.Combine("out"), "x 1"));
        Assert.Contains("not a .deb file", e.Message);
    }

    private static void RunDpkgDeb(params string[] arguments)
    {
        var start = new ProcessStartInfo("dpkg-deb") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "dpkg-deb failed: " + error);
    }
}
