using System.Text;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Spec;
using TinyImage.Dsl;

namespace TinyImage.Tests.Runtime;

/// <summary>The DSL calls for what DT_NEEDED never names, assembled against this machine's files (no Docker).</summary>
public sealed class RuntimeStepTests
{
    private static readonly string Libdir = "/usr/lib/x86_64-linux-gnu";

    private static ImageBuilder Scratch() => new Recipe("/tmp/runtime-steps.tiny.csx").From.Scratch();

    private static FileTree Assemble(ImageBuilder image) => new TreeAssembler(new ResolverOptions()).Assemble(image.Spec).Tree;

    private static string Text(FileTree tree, string path) => Encoding.UTF8.GetString(tree.Find(path)!.Content!);

    [Fact]
    public void WithUser_writes_passwd_and_group_a_home_the_user_owns_and_sets_the_user()
    {
        var image = Scratch().AddBinary("/usr/bin/getent").WithLibs().WithUser("app", 1000).WithUser("web", 1001, 1000);
        var tree = Assemble(image);
        Assert.Equal("1001:1000", image.Spec.Config.User);
        Assert.Equal("root:x:0:0:root:/root:/sbin/nologin\napp:x:1000:1000:app:/home/app:/sbin/nologin\nweb:x:1001:1000:web:/home/web:/sbin/nologin\n",
            Text(tree, "/etc/passwd"));
        Assert.Equal("root:x:0:\napp:x:1000:\n", Text(tree, "/etc/group"));
        var home = tree.Find("/home/web")!;
        Assert.Equal((EntryKind.Directory, 1001, 1000, 0x1ED), (home.Kind, home.Uid, home.Gid, home.Mode));
    }

    [Fact]
    public void WithNss_writes_a_minimal_nsswitch_and_adds_the_stub_modules_and_netbase_files()
    {
        var tree = Assemble(Scratch().AddBinary("/usr/bin/getent").WithNss());
        Assert.Contains("hosts:          files dns\n", Text(tree, "/etc/nsswitch.conf"));
        Assert.DoesNotContain("systemd", Text(tree, "/etc/nsswitch.conf"));
        foreach (var path in new[] { "/etc/services", "/etc/protocols", Libdir + "/libnss_files.so.2", Libdir + "/libnss_dns.so.2", Libdir + "/libc.so.6" })
            Assert.True(tree.Find(path) is not null, path);
        Assert.Null(tree.Find("/etc/hosts"));
        Assert.Null(tree.Find("/etc/resolv.conf"));
    }

    [Fact]
    public void WithGconv_adds_the_configuration_the_named_module_and_the_closure_of_modules()
    {
        var tree = Assemble(Scratch().AddBinary("/usr/bin/iconv").WithGconv(["latin9", "EUC-JP"]));
        foreach (var name in new[] { "gconv-modules", "gconv-modules.cache", "gconv-modules.d/gconv-modules-extra.conf", "ISO8859-15.so", "EUC-JP.so", "libJIS.so" })
            Assert.True(tree.Find(Libdir + "/gconv/" + name) is not null, name);
        Assert.Null(tree.Find(Libdir + "/gconv/ISO8859-1.so"));
        Assert.NotNull(tree.Find(Libdir + "/libc.so.6")); // the modules' own closure, without WithLibs
    }

    [Fact]
    public void WithLibgcc_and_AddLibrary_find_a_library_by_soname_with_its_closure()
    {
        var tree = Assemble(Scratch().AddBinary("/usr/bin/getent").WithLibgcc().AddLibrary("libz.so.1"));
        Assert.NotNull(tree.Find(Libdir + "/libgcc_s.so.1"));
        Assert.Equal(EntryKind.Symlink, tree.Find(Libdir + "/libz.so.1")!.Kind);
        Assert.NotNull(tree.Find(Libdir + "/libc.so.6"));
    }

    [Fact]
    public void LibraryLocator_searches_the_default_directories_and_reports_them_when_missing()
    {
        var locator = new LibraryLocator(new ResolverOptions());
        var program = ElfReader.Read("/usr/bin/getent");
        Assert.Equal("/lib/x86_64-linux-gnu/libgcc_s.so.1", locator.Find("libgcc_s.so.1", program).Path);
        var (path, searched) = locator.Find("libnot-there.so.7", program);
        Assert.Null(path);
        Assert.Contains("/usr/lib/x86_64-linux-gnu", searched);
    }

    [Fact]
    public void A_missing_library_names_the_recipe_line_and_what_to_do()
    {
        var image = Scratch().AddBinary("/usr/bin/getent").AddLibrary("libnot-there.so.7"); var line = LineOf();
        var error = Assert.Throws<TinyImageException>(() => Assemble(image));
        Assert.StartsWith($"{new SourceLocation(ThisFile(), line)}: AddLibrary(\"libnot-there.so.7\"): libnot-there.so.7 is not in [", error.Message);
        Assert.Contains("apt-file search", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void Misuse_fails_at_the_recipe_line()
    {
        var line = LineOf() + 1;
        var trace = Assert.Throws<TinyImageException>(() => Scratch().Trace("--version"));
        Assert.Equal($"{new SourceLocation(ThisFile(), line)}: Trace: add the program to trace with AddBinary first; Trace runs the last one added", trace.Message);
        Assert.Contains("give several values as one list", Assert.Throws<TinyImageException>(() => Scratch().AddBinary("/bin/ls").Trace("-l", "-a")).Message);
        Assert.Contains("uid 0 is root", Assert.Throws<TinyImageException>(() => Scratch().WithUser("app", 0)).Message);
        Assert.Contains("not a character set", Assert.Throws<TinyImageException>(() => Assemble(Scratch().AddBinary("/usr/bin/iconv").WithGconv("NO-SUCH-SET"))).Message);
        Assert.Contains("Europe/Nowhere does not exist", Assert.Throws<TinyImageException>(() => Assemble(Scratch().WithTimezone("Europe/Nowhere"))).Message);
        Assert.Contains("localedef --no-archive", Assert.Throws<TinyImageException>(() => Assemble(Scratch().WithLocale("xx_YY.UTF-8"))).Message);
        Assert.Contains("apt-get install ncurses-term", Assert.Throws<TinyImageException>(() => Assemble(Scratch().WithTerminfo("no-such-term"))).Message);
    }

    [Fact]
    public void Data_calls_add_certificates_zones_terminfo_locale_and_tmp()
    {
        var image = Scratch().WithCaCertificates().WithTimezone("Europe/Paris").WithTerminfo().WithLocale("C.UTF-8").WithTmp();
        var tree = Assemble(image);
        Assert.NotNull(tree.Find("/etc/ssl/certs/ca-certificates.crt"));
        Assert.Equal("/etc/ssl/certs", tree.Find("/usr/lib/ssl/certs")!.LinkTarget);
        Assert.Equal("/etc/ssl/certs/ca-certificates.crt", tree.Find("/usr/lib/ssl/cert.pem")!.LinkTarget);
        Assert.Equal("/usr/share/zoneinfo/Europe/Paris", tree.Find("/etc/localtime")!.LinkTarget);
        Assert.NotNull(tree.Find("/usr/share/zoneinfo/Europe/Paris"));
        Assert.NotNull(tree.Find("/usr/lib/terminfo/x/xterm-256color")); // /lib/terminfo, through /lib -> usr/lib
        Assert.Equal("usr/lib", tree.Find("/lib")!.LinkTarget);
        Assert.NotNull(tree.Find("/usr/lib/locale/C.utf8/LC_CTYPE"));
        Assert.Contains(KeyValuePair.Create("LANG", "C.UTF-8"), image.Spec.Config.Env);
        Assert.Equal(0x3FF, tree.Find("/tmp")!.Mode); // 1777
    }

    private static int LineOf([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string file = "") => file;
}
