using TinyImage.Core;
using TinyImage.Core.Debian;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Debian;

public sealed class PackageLockFileTests
{
    private static readonly string Sha = new('a', 64);

    public static PackageLock Sample(string suite = "bookworm", string architecture = "amd64", params string[] names) => new(
        new PackageRequest(suite, architecture, ["main"], names.Length == 0 ? ["hello"] : names, false),
        new string('b', 64),
        new DateTimeOffset(2026, 7, 11, 10, 16, 37, TimeSpan.Zero),
        [
            new LockedPackage("hello", "2.10-3", architecture, 53080, Sha, "pool/main/h/hello/hello_2.10-3_amd64.deb"),
            new LockedPackage("libc6", "2.36-9+deb12u14", architecture, 2759320, new string('c', 64), "pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb"),
        ]);

    [Fact]
    public void Round_trips_and_writes_the_same_bytes_whatever_the_order()
    {
        var a = Sample();
        var b = Sample("bookworm", "arm64", "curl", "ca-certificates");
        var text = new PackageLockFile([a, b]).ToText();

        Assert.Equal(text, new PackageLockFile([b, a]).ToText());
        var read = PackageLockFile.Parse(text, "x.tiny.lock");
        Assert.Equal(text, read.ToText());
        Assert.Equal(a, read.Find(a.Request));
        Assert.Equal(b, read.Find(b.Request));
        Assert.Null(read.Find(a.Request with { IncludeRecommends = true }));
        Assert.Contains("Install: curl ca-certificates\n", text);
    }

    [Fact]
    public void Write_replaces_the_file_through_a_rename()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("r.tiny.lock");
        new PackageLockFile([Sample()]).Write(path);
        new PackageLockFile([Sample()]).With(Sample("trixie")).Write(path);
        Assert.Equal(2, PackageLockFile.Read(path).Locks.Count);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData("Lock-Format: tinyrun-debian 1", "Lock-Format: tinyrun-debian 2", "(2): lock format 'tinyrun-debian 2'")]
    [InlineData("Recommends: no", "Recommends: maybe", "(8): Recommends 'maybe' is not 'yes' or 'no'")]
    [InlineData("Version: 2.10-3", "Version: two", "(13): Version 'two' is not a Debian version")]
    [InlineData("Size: 53080", "Size: -1", "(15): Size '-1' is not a size in bytes")]
    [InlineData("Size: 53080", "Size: 1\nColour: red", "(16): unknown field 'Colour' in a package stanza")]
    [InlineData("SHA256: aaaa", "SHA256: AAAA", "(16): SHA256 'AAAA")]
    [InlineData("Filename: pool/main/h/hello/hello_2.10-3_amd64.deb", "Filename: ../../etc/passwd.deb", "(17): Filename '../../etc/passwd.deb' is not a relative path")]
    [InlineData("Architecture: amd64\nSize: 53080", "Architecture: arm64\nSize: 53080", "(14): Architecture 'arm64' is not 'amd64' or 'all'")]
    [InlineData("Package: libc6", "Package: hello", "(19): package hello is listed twice")]
    [InlineData("Release-SHA256: bbbb", "Release-Sha: bbbb", "(9): unknown field 'Release-Sha' in a set stanza")]
    public void Errors_name_the_file_the_line_and_the_field(string find, string replace, string expected)
    {
        var text = new PackageLockFile([Sample()]).ToText();
        Assert.Contains(find, text);
        var index = text.IndexOf(find, StringComparison.Ordinal);
        var broken = text[..index] + replace + text[(index + find.Length)..];

        var e = Assert.Throws<TinyImageException>(() => PackageLockFile.Parse(broken, "r.tiny.lock"));

        Assert.StartsWith("r.tiny.lock", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_lock_says_how_to_make_one()
    {
        var e = Assert.Throws<TinyImageException>(() => PackageLockFile.Parse("Hello: world\n", "r.tiny.lock"));
        Assert.Contains("tinyrun lock", e.Message);
    }
}
