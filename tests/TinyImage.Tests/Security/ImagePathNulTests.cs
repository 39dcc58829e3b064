using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Security;

/// <summary>
/// Issue 8, finding 15: a NUL in a path in the image (or a link target) ends the name for every tar reader, so
/// "/etc/a\0b" would be written as "/etc/a". It is refused, with the recipe line.
/// </summary>
public sealed class ImagePathNulTests
{
    [Fact]
    public void Finding15_NulInAnImagePathIsRefusedAtTheRecipeLine()
    {
        using var dir = new TempDirectory();
        dir.Write("nul.tiny.csx", "var name = \"b\";\nFrom.Scratch()\n    .AddText(\"/etc/a\\0\" + name, \"text\")\n    .Tag(\"nul:1\")\n");

        var result = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") }, dir.Path, "nul.tiny.csx", "--quiet");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("tinyrun: nul.tiny.csx(3): '/etc/a\\0b': a path in the image cannot contain a NUL character (\\0), which ends a file name; remove it",
            result.Stderr.Trim());
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void Finding15_NulInALinkTargetIsRefusedAtTheRecipeLine()
    {
        using var dir = new TempDirectory();
        dir.Write("link.tiny.csx", "From.Scratch()\n    .Symlink(\"/bin/sh\", \"busybox\\0x\")\n");

        var result = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") }, dir.Path, "link.tiny.csx", "--quiet");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("tinyrun: link.tiny.csx(2): 'busybox\\0x': the link target cannot contain a NUL character (\\0), which ends a file name; remove it",
            result.Stderr.Trim());
    }

    [Theory]
    [InlineData("/a\0b")]
    [InlineData("\0")]
    [InlineData("/usr/\0/bin")]
    public void Finding15_FileEntriesRefuseNulInPathsAndLinkTargets(string value)
    {
        Assert.Contains("a path in the image cannot contain a NUL", Assert.Throws<TinyImageException>(() => FileEntry.Inline(value, [], 0x1A4, "test")).Message);
        Assert.Contains("the link target cannot contain a NUL", Assert.Throws<TinyImageException>(() => FileEntry.Link("/link", value, "test")).Message);
        var entry = FileEntry.Directory("/d", 0x1ED, "test");
        Assert.Throws<TinyImageException>(() => entry with { Path = value });
    }

    [Fact]
    public void Every_other_character_can_be_in_a_name()
    {
        var name = "/" + new string(Enumerable.Range(1, 126).Select(c => (char)c).Where(c => c != '/').ToArray());
        Assert.Equal(name, FileEntry.Link(name, name, "test").LinkTarget);
    }
}
