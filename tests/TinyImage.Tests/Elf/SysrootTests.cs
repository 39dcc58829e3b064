using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Tests.Corpus;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Resolving inside another root (<c>--root DIR</c>): a fake Debian root made of copies of this host's
/// bash, glibc and libtinfo, with the usual links (/lib -> usr/lib, and the absolute
/// /usr/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/...). Every path is taken inside the root;
/// absolute links and ".." never reach the host's files. The loader, chrooted into the root, agrees.
/// </summary>
public sealed class SysrootTests : IDisposable
{
    private const string Multiarch = "/usr/lib/x86_64-linux-gnu";
    private readonly string _root = Directory.CreateTempSubdirectory("tinyimage-root-").FullName;

    public SysrootTests()
    {
        Copy("/usr/bin/bash", "/usr/bin/bash");
        foreach (var name in new[] { "libc.so.6", "libtinfo.so.6.4", "ld-linux-x86-64.so.2" })
            Copy($"{Multiarch}/{name}", $"{Multiarch}/{name}");
        Link("/usr/lib/x86_64-linux-gnu/libtinfo.so.6", "libtinfo.so.6.4");
        Link("/bin", "usr/bin");
        Link("/lib", "usr/lib");
        Link("/lib64", "usr/lib64");
        Link("/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string Host(string path) => _root + path;

    private void Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Host(to))!);
        File.Copy(from, Host(to));
        File.SetUnixFileMode(Host(to), File.GetUnixFileMode(from));
    }

    private void Link(string path, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Host(path))!);
        File.CreateSymbolicLink(Host(path), target);
    }

    private Closure Resolve(params string[] executables) =>
        new LibraryResolver(new ResolverOptions { Files = new HostFiles(_root) }).Resolve(executables);

    [Fact]
    public void ResolvesInsideTheRootAsItsOwnLoaderDoes()
    {
        var closure = Resolve("/bin/bash");
        Assert.Equal(["/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libtinfo.so.6", "/lib/x86_64-linux-gnu/libc.so.6"],
            closure.Files.Select(f => f.Path));

        var listing = LoaderOracle.List("/usr/bin/bash", chroot: _root);
        Assert.True(listing.Verdict == LoaderVerdict.Loaded, listing.Output);
        Assert.Equal(listing.Paths.Order(StringComparer.Ordinal), closure.Files.Select(f => f.Path).Order(StringComparer.Ordinal));

        // The image made from the root runs too.
        using var image = ChrootImage.Of(["/bin/bash"], closure, files: new HostFiles(_root));
        Assert.All(image.Tree.Entries().Where(e => e.Kind == EntryKind.File),
            e => Assert.StartsWith(_root + "/", e.SourcePath, StringComparison.Ordinal));
        var run = image.Run("/bin/bash", "-c", "echo inside");
        Assert.True(run.ExitCode == 0 && run.StdOut == "inside\n", run.StdErr);
    }

    [Fact]
    public void AbsoluteLinksAndDotDotNeverReachTheHost()
    {
        // libtinfo.so.6 now points at files that exist on the host but not in the root.
        File.Delete(Host($"{Multiarch}/libtinfo.so.6"));
        File.Delete(Host($"{Multiarch}/libtinfo.so.6.4"));
        Assert.True(File.Exists($"{Multiarch}/libtinfo.so.6.4"), "the host needs libtinfo6 for this test");
        Link($"{Multiarch}/libtinfo.so.6", $"/../../..{Multiarch}/libtinfo.so.6.4");
        var e = Assert.Throws<TinyImageException>(() => Resolve("/bin/bash"));
        Assert.Contains("cannot find libtinfo.so.6 (needed by /bin/bash)", e.Message);

        File.Delete(Host($"{Multiarch}/libtinfo.so.6"));
        Link($"{Multiarch}/libtinfo.so.6", $"../../../../../../../../..{_root}/../../..{Multiarch}/libtinfo.so.6.4");
        e = Assert.Throws<TinyImageException>(() => Resolve("/bin/bash"));
        Assert.Contains("cannot find libtinfo.so.6", e.Message);

        var listing = LoaderOracle.List("/usr/bin/bash", chroot: _root);
        Assert.True(listing.Verdict == LoaderVerdict.Failed && listing.Output.Contains("libtinfo.so.6", StringComparison.Ordinal), listing.Output);

        // The executable is a path inside the root: the host's /usr/bin/ls is not in it.
        Assert.True(File.Exists("/usr/bin/ls"));
        e = Assert.Throws<TinyImageException>(() => Resolve("/usr/bin/ls"));
        Assert.Contains("/usr/bin/ls: no such file in " + _root, e.Message);
    }

    [Fact]
    public void LdSoConfAndInterpreterAreReadInsideTheRoot()
    {
        // An ld.so.conf in the root naming a host directory that holds libtinfo: not in the root, so not found.
        Directory.CreateDirectory(Host("/etc"));
        File.WriteAllText(Host("/etc/ld.so.conf"), $"{Multiarch}\n/usr/local/lib\n");
        File.Delete(Host($"{Multiarch}/libtinfo.so.6"));
        Assert.Throws<TinyImageException>(() => Resolve("/bin/bash"));

        // A root without the interpreter: the host's /lib64/ld-linux-x86-64.so.2 does not count.
        File.Delete(Host("/usr/lib64/ld-linux-x86-64.so.2"));
        var e = Assert.Throws<TinyImageException>(() => Resolve("/bin/bash"));
        Assert.Contains("its ELF interpreter /lib64/ld-linux-x86-64.so.2 does not exist in " + _root, e.Message);
    }
}
