using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Elf;

[Collection(ElfCollection.Name)]
public sealed class LdSoConfTests(ElfFixture fixture)
{
    [Fact]
    public void IncludesRelativeGlobsInOrderAndSurvivesCycles()
    {
        var dirs = LdSoConf.ReadDirectories(new HostFiles("/"), fixture.P("cf/etc/ld.so.conf"));
        Assert.Equal([fixture.P("cf/dir1"), fixture.P("cf/dir2")], dirs);
    }

    [Fact]
    public void MissingConfHasNoDirectories() =>
        Assert.Empty(LdSoConf.ReadDirectories(new HostFiles("/"), fixture.P("nope/ld.so.conf")));

    [Fact]
    public void ReadsThisMachinesConf()
    {
        var dirs = LdSoConf.ReadDirectories(new HostFiles("/"), "/etc/ld.so.conf");
        Assert.Contains("/usr/lib/x86_64-linux-gnu", dirs);
        Assert.Contains("/usr/local/lib", dirs);
    }

    [Fact]
    public void AConfPathThatIsADirectoryHasNoDirectories()
    {
        using var dir = new TempDirectory();
        Assert.Empty(LdSoConf.ReadDirectories(new HostFiles("/"), dir.Path));
    }

    [Fact]
    public void AConfLargerThanOneMebibyteIsRefusedWithItsPath()
    {
        using var dir = new TempDirectory();
        var conf = dir.Write("ld.so.conf", new string('#', (1 << 20) + 1));
        var e = Assert.Throws<TinyImageException>(() => LdSoConf.ReadDirectories(new HostFiles("/"), conf));
        Assert.StartsWith($"{conf}: cannot read ld.so.conf file: {conf}: is {(1 << 20) + 1} bytes", e.Message);
    }

    [Fact]
    public void IncludeIsAWordFollowedByABlank()
    {
        using var dir = new TempDirectory();
        // "include" alone is no directive; a directory with a blank at include's length is a directory, not an include.
        var conf = dir.Write("ld.so.conf", "include\n/opt/ab cd\nincludes x\n/x\n");
        Assert.Equal(["/opt/ab cd", "/x"], LdSoConf.ReadDirectories(new HostFiles("/"), conf));
    }

    [Fact]
    public void GlobListsEachMatchOnceSortedAndSkipsDotFilesUnlessAsked()
    {
        using var dir = new TempDirectory();
        var a = dir.Write("d/a.conf", "");
        var b = dir.Write("d/b.conf", "");
        var hidden = dir.Write("d/.h.conf", "");
        Directory.CreateDirectory(dir.Combine("d/c.conf"));
        var files = new HostFiles("/");
        Assert.Equal([a, b], LdSoConf.Glob(files, dir.Combine("d/*.conf")));
        Assert.Equal([hidden], LdSoConf.Glob(files, dir.Combine("d/.*.conf")));
        Assert.Equal([a], LdSoConf.Glob(files, dir.Combine("d/a*.conf")));
        Assert.Equal([b], LdSoConf.Glob(files, dir.Combine("d/b.conf")));
    }
}
