using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;

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

    [Theory]
    [InlineData("a.conf", "*.conf", true)]
    [InlineData("a.conf", "*.con", false)]
    [InlineData("10-x.conf", "[0-9]*", true)]
    [InlineData("x.conf", "[!x]*", false)]
    [InlineData("ab", "a?", true)]
    [InlineData("a", "a?", false)]
    public void MatchesWildcards(string name, string pattern, bool expected) =>
        Assert.Equal(expected, Wildcard.IsMatch(name, pattern));
}
