using TinyImage.Core;
using TinyImage.Core.Elf;

namespace TinyImage.Tests.Elf;

/// <summary>Each way the resolver refuses a program or its interpreter: one line saying what, where and what to do.</summary>
[Collection(ElfCollection.Name)]
public sealed class ResolverErrorTests(ElfFixture fixture)
{
    private string Write(string name, ElfImage image)
    {
        var path = fixture.P("err/" + name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, image.Build());
        return path;
    }

    private static string Error(string executable, ResolverOptions? options = null) =>
        Assert.Throws<TinyImageException>(() => new LibraryResolver(options).Resolve([executable])).Message;

    [Fact]
    public void TheProgramItself()
    {
        Assert.Equal("relative/app: executable paths must be absolute paths inside the root", Error("relative/app"));
        Assert.Equal($"{fixture.P("err/none")}: no such file in /", Error(fixture.P("err/none")));
        Directory.CreateDirectory(fixture.P("err/dir"));
        Assert.Equal($"{fixture.P("err/dir")}: is a directory, not an executable", Error(fixture.P("err/dir")));
        var relocatable = Write("relocatable", new ElfImage { Type = 1, Interpreter = "/lib64/ld-linux-x86-64.so.2" });
        Assert.Equal($"{relocatable}: not an executable (ELF type Relocatable)", Error(relocatable));
    }

    [Fact]
    public void TheInterpreter()
    {
        var relative = Write("interp-relative", new ElfImage { Interpreter = "lib/ld.so" });
        Assert.Equal($"{relative}: its ELF interpreter 'lib/ld.so' is a relative path, which the kernel opens relative to the current directory; " +
                     "relink it with an absolute --dynamic-linker", Error(relative));
        var missing = Write("interp-missing", new ElfImage { Interpreter = "/nonexistent/ld.so" });
        Assert.Equal($"{missing}: its ELF interpreter /nonexistent/ld.so does not exist in /; add it with AddFile or use a root that has it", Error(missing));
        var directory = Write("interp-directory", new ElfImage { Interpreter = "/usr" });
        Assert.Equal($"{directory}: its ELF interpreter /usr is a directory", Error(directory));
        var text = Write("interp-text", new ElfImage { Interpreter = "/etc/hostname" });
        Assert.StartsWith($"{text}: its ELF interpreter /etc/hostname is unusable: /etc/hostname: ", Error(text));
    }

    [Fact]
    public void ANeededPath()
    {
        // A DT_NEEDED path with $PLATFORM, which has no value for RISC-V, and one that does not exist.
        var noPlatform = Write("needs-platform", new ElfImage { Machine = ElfMachine.RiscV, Interpreter = "/lib64/ld-linux-x86-64.so.2", Needed = ["/opt/$PLATFORM/libx.so"] });
        Assert.Equal($"{noPlatform}: cannot load '/opt/$PLATFORM/libx.so' (needed by {noPlatform}): a dynamic string token in it has no value for this machine",
            Error(noPlatform));
        var absent = Write("needs-absent", new ElfImage { Interpreter = "/lib64/ld-linux-x86-64.so.2", Needed = ["/nonexistent/libx.so"] });
        Assert.Equal($"{absent}: cannot find /nonexistent/libx.so (needed by {absent}); it is a path and /nonexistent/libx.so does not exist; add it with AddFile or fix the DT_NEEDED",
            Error(absent));
        var wrongClass = Write("needs-wrong-class", new ElfImage { Interpreter = "/lib64/ld-linux-x86-64.so.2", Needed = [fixture.P("wc/first/libsib.so")] });
        Assert.Equal($"{wrongClass}: cannot find {fixture.P("wc/first/libsib.so")} (needed by {wrongClass}); it is a path and {fixture.P("wc/first/libsib.so")} " +
                     $"is unusable: {fixture.P("wc/first/libsib.so")} (wrong ELF class); add it with AddFile or fix the DT_NEEDED", Error(wrongClass));
    }

    [Fact]
    public void ASearchThatFindsNothingSaysWhereItLooked()
    {
        // NODEFLIB, no ld.so.conf and no paths: nothing is searched at all.
        var nothing = Write("needs-nothing-searched", new ElfImage { Interpreter = "/lib64/ld-linux-x86-64.so.2", Needed = ["libnowhere.so"], Flags1 = 0x800 });
        Assert.Equal($"{nothing}: cannot find libnowhere.so (needed by {nothing}); searched no directory; add it with AddFile or fix the RUNPATH",
            Error(nothing, new ResolverOptions { LdSoConf = null }));
        // A wrong-machine candidate is named among the skipped files.
        var skipped = Write("needs-skipped", new ElfImage { Interpreter = "/lib64/ld-linux-x86-64.so.2", Needed = ["libsib.so"], RunPath = fixture.P("wm/first"), Flags1 = 0x800 });
        Assert.Equal($"{skipped}: cannot find libsib.so (needed by {skipped}); searched RUNPATH of {skipped} [{fixture.P("wm/first")}]; " +
                     $"skipped {fixture.P("wm/first/libsib.so")} (wrong machine 183); add it with AddFile or fix the RUNPATH",
            Error(skipped, new ResolverOptions { LdSoConf = null }));
    }

    [Fact]
    public void LibraryPathSplitsAtSemicolonsTooAndSkipsRelativeElements()
    {
        // LD_LIBRARY_PATH accepts ';' as well as ':'; a relative element is skipped with a warning naming it.
        var exe = fixture.P("ri/bin/app-runpath");
        var closure = new LibraryResolver(new ResolverOptions { LibraryPath = [$"rel;/nonexistent;{fixture.P("rm/lib")}/"] }).Resolve([exe]);
        var top = closure.Files.Single(f => f.NeededName == "libtop.so");
        Assert.Equal(fixture.P("rm/lib/libtop.so"), top.Path);
        Assert.Equal(SearchRule.LibraryPath, top.Rule);
        Assert.Equal($"libtop.so, needed by {exe}, found in LibraryPath {fixture.P("rm/lib")}", top.Reason);
        Assert.Equal([$"{exe}: LibraryPath element 'rel' is relative to the current directory; skipped because it depends on where the program is started"], closure.Warnings);
    }
}
