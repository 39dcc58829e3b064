using System.Text;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Dsl;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.HostContent;

/// <summary>
/// Issue 9's <c>.Root(...)</c> bug and the root model: every runtime step reads inside the root, never the host.
/// The root's program lives where the host has none (/opt/app/app), and its data files differ from the host's, so a
/// file read from the host instead of the root shows in its source path or its content.
/// </summary>
public sealed class RuntimeStepsInRootTests : IDisposable
{
    private const string Libdir = "/usr/lib/x86_64-linux-gnu";
    private readonly TempDirectory _dir = new();
    private readonly string _root;

    public RuntimeStepsInRootTests()
    {
        _root = _dir.Combine("rootfs");
        Copy("/usr/bin/getent", "/opt/app/app");
        foreach (var name in new[] { "libc.so.6", "ld-linux-x86-64.so.2", "libgcc_s.so.1", "libz.so.1" })
            Copy($"{Libdir}/{name}", $"{Libdir}/{name}");
        Link("/lib", "usr/lib");
        Link("/lib64", "usr/lib64");
        Link("/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        Write("/etc/services", "root-services\n");
        Write("/etc/protocols", "root-protocols\n");
        Write("/etc/ssl/certs/ca-certificates.crt", "root-bundle\n");
        Link("/usr/lib/ssl/certs", "/etc/ssl/certs");
        Copy($"{Libdir}/gconv/gconv-modules", $"{Libdir}/gconv/gconv-modules");
        foreach (var conf in Directory.GetFiles($"{Libdir}/gconv/gconv-modules.d"))
            Copy(conf, $"{Libdir}/gconv/gconv-modules.d/{Path.GetFileName(conf)}");
        Copy($"{Libdir}/gconv/ISO8859-15.so", $"{Libdir}/gconv/ISO8859-15.so");
        Write("/usr/share/zoneinfo/Europe/Paris", "root-zone\n");
        Copy("/lib/terminfo/x/xterm", "/usr/share/terminfo/x/xterm");
        foreach (var file in Directory.GetFiles("/usr/lib/locale/C.utf8"))
            Copy(file, "/usr/lib/locale/C.utf8/" + Path.GetFileName(file));
    }

    public void Dispose() => _dir.Dispose();

    private string Host(string path) => _root + path;

    private void Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Host(to))!);
        File.Copy(from, Host(to));
    }

    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Host(path))!);
        File.WriteAllText(Host(path), text);
    }

    private void Link(string path, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Host(path))!);
        File.CreateSymbolicLink(Host(path), target);
    }

    private ImageBuilder App() => new Recipe(_dir.Combine("r.tiny.csx")).From.Scratch().Root("rootfs").AddBinary("/opt/app/app");

    private FileTree Assemble(ImageBuilder image)
    {
        var tree = new TreeAssembler(new ResolverOptions { Files = new HostFiles(_root) }).Assemble(image.Spec).Tree;
        Assert.All(tree.Entries().Where(e => e.SourcePath is not null), e => Assert.StartsWith(_root + "/", e.SourcePath));
        return tree;
    }

    private static string Text(FileTree tree, string path) =>
        tree.Find(path) is { Content: { } content } ? Encoding.UTF8.GetString(content) : File.ReadAllText(tree.Find(path)!.SourcePath!);

    [Fact]
    public void A_program_that_only_the_root_has_gets_its_libraries_from_the_root()
    {
        var tree = Assemble(App().WithLibs());
        Assert.Equal(Host(Libdir + "/libc.so.6"), tree.Find(Libdir + "/libc.so.6")!.SourcePath);
        Assert.Equal(Host("/opt/app/app"), tree.Find("/opt/app/app")!.SourcePath);
    }

    [Fact]
    public void WithLibgcc_and_AddLibrary_search_the_root() // the bug: "/opt/app/app: no such file"
    {
        var tree = Assemble(App().WithLibs().WithLibgcc().AddLibrary("libz.so.1"));
        Assert.NotNull(tree.Find(Libdir + "/libgcc_s.so.1"));
        Assert.NotNull(tree.Find(Libdir + "/libz.so.1"));
    }

    [Fact]
    public void WithNss_takes_the_roots_netbase_files()
    {
        var tree = Assemble(App().WithNss());
        Assert.Equal("root-services\n", Text(tree, "/etc/services"));
        Assert.Equal("root-protocols\n", Text(tree, "/etc/protocols"));
    }

    [Fact]
    public void WithGconv_reads_the_roots_gconv_modules()
    {
        var tree = Assemble(App().WithGconv("ISO-8859-15"));
        Assert.NotNull(tree.Find(Libdir + "/gconv/ISO8859-15.so"));
        Assert.NotNull(tree.Find(Libdir + "/gconv/gconv-modules"));
    }

    [Fact]
    public void WithCaCertificates_WithTimezone_WithTerminfo_and_WithLocale_read_the_root()
    {
        var tree = Assemble(App().WithCaCertificates().WithTimezone("Europe/Paris").WithTerminfo("xterm").WithLocale("C.utf8"));
        Assert.Equal("root-bundle\n", Text(tree, "/etc/ssl/certs/ca-certificates.crt"));
        Assert.Equal("/etc/ssl/certs", tree.Find("/usr/lib/ssl/certs")!.LinkTarget);
        Assert.Equal("root-zone\n", Text(tree, "/usr/share/zoneinfo/Europe/Paris"));
        Assert.NotNull(tree.Find("/usr/share/terminfo/x/xterm"));
        Assert.NotNull(tree.Find("/usr/lib/locale/C.utf8/LC_CTYPE"));
    }

    [Fact]
    public void WithUser_needs_nothing_from_the_root()
    {
        var tree = Assemble(App().WithUser("app", 1000));
        Assert.Contains("app:x:1000:1000", Text(tree, "/etc/passwd"));
    }

    [Fact]
    public void A_missing_data_file_in_the_root_is_an_error_even_when_the_host_has_it()
    {
        File.Delete(Host("/etc/ssl/certs/ca-certificates.crt"));
        Assert.Contains("ca-certificates.crt", Assert.Throws<TinyImageException>(() => Assemble(App().WithCaCertificates())).Message);
    }

    [Fact]
    public void Trace_refuses_clearly_inside_a_root()
    {
        var error = Assert.Throws<TinyImageException>(() => Assemble(App().Trace("--version")));
        Assert.Contains("Trace", error.Message);
        Assert.Contains("sysroot", error.Message);
    }
}
