using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Rules of the simulated loader that only show on crafted ELF files (<see cref="ElfImage"/>): objects that answer to
/// several names, the interpreter's own needs, the ELF header checks for other classes and byte orders, search path
/// elements that are dropped, and where a library only ld.so.conf finds is placed. Each case pins a result (paths,
/// rules, reasons, errors) that a changed line of ProcessLoader or ResolutionRun would alter.
/// </summary>
public sealed class LoaderRuleTests : IDisposable
{
    private const string Interp = "/lib64/ld-linux-x86-64.so.2";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string P(string relative) => _dir.Combine(relative);

    private string Put(string relative, ElfImage image) => Put(relative, image.Build());

    private string Put(string relative, byte[] bytes)
    {
        var path = P(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Link(string relative, string target)
    {
        var path = P(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    private static Closure Resolve(string executable, ResolverOptions? options = null) =>
        new LibraryResolver(options ?? new ResolverOptions { LdSoConf = null }).Resolve([executable]);

    private static string Error(string executable, ResolverOptions? options = null) =>
        Assert.Throws<TinyImageException>(() => Resolve(executable, options)).Message;

    private static string Fatal(string executable, string name, string reason, string candidate, string requester) =>
        $"{executable}: error while loading shared libraries: {name}: {reason} (file {candidate}, needed by {requester}); " +
        "ld.so stops at this file instead of searching on, so remove or replace it";

    [Fact]
    public void TheExecutableAnswersToItsSonameAndIsWalkedOnce()
    {
        // libneedself.so needs the executable's own SONAME: glibc finds the main map, loads nothing and walks main once.
        var dir = P("self/lib");
        Put("self/lib/libneedself.so", new ElfImage { Soname = "libneedself.so", Needed = ["libself.so"] });
        var exe = Put("self/app", new ElfImage { Interpreter = Interp, Soname = "libself.so", Needed = ["libneedself.so"], RunPath = dir });
        var closure = Resolve(exe);
        Assert.Equal([Interp, $"{dir}/libneedself.so"], closure.Files.Select(f => f.Path));
        var child = Assert.Single(closure.Roots[0].Children);
        Assert.Equal(($"{dir}/libneedself.so", false), (child.Path, child.IsRepeat));
        var self = Assert.Single(child.Children);
        Assert.Equal(("libself.so", exe, SearchRule.Executable, true), (self.Name, self.Path, self.Rule, self.IsRepeat));
    }

    [Fact]
    public void ANameFoundOnAnAlreadyLoadedFileIsThatObjectsNameFromThenOn()
    {
        // liba's RUNPATH has libx.so as a link to the loaded liby.so: the same file, so liby answers to libx.so too
        // (glibc's add_name_to_object), and libb's libx.so is liby although libb's own RUNPATH has another libx.so.
        var d0 = P("alias/d0");
        Put("alias/d0/liby.so", new ElfImage { Soname = "liby.so" });
        Put("alias/d0/liba.so", new ElfImage { Soname = "liba.so", Needed = ["libx.so"], RunPath = P("alias/d1") });
        Link("alias/d1/libx.so", $"{d0}/liby.so");
        Put("alias/d0/libb.so", new ElfImage { Soname = "libb.so", Needed = ["libx.so"], RunPath = P("alias/d2") });
        Put("alias/d2/libx.so", new ElfImage { Soname = "libx.so" });
        var exe = Put("alias/app", new ElfImage { Interpreter = Interp, Needed = ["liby.so", "liba.so", "libb.so"], RunPath = d0 });
        var closure = Resolve(exe);
        Assert.Equal([Interp, $"{d0}/liby.so", $"{d0}/liba.so", $"{d0}/libb.so"], closure.Files.Select(f => f.Path));
        var libb = closure.Roots[0].Children[2];
        Assert.Equal([($"{d0}/liby.so", true)], libb.Children.Select(c => (c.Path, c.IsRepeat)));
    }

    [Fact]
    public void TheInterpretersNeedsSearchItsRPathThenTheExecutablesRPath()
    {
        // A library needs the interpreter by SONAME, so the interpreter's own DT_NEEDED is walked. Its loader chain is
        // itself alone: its RPATH first (absent here), then the executable's RPATH, which finds libdep.so.
        var ld = Put("in/ld/ld.so", new ElfImage { Soname = "ld-fake.so.1", Needed = ["libdep.so"], RPath = "/nonexistent-interp-rpath" });
        var rpath = P("in/rp");
        Put("in/rp/libdep.so", new ElfImage { Soname = "libdep.so" });
        var exe = Put("in/app", new ElfImage { Interpreter = ld, Needed = ["ld-fake.so.1"], RPath = rpath });
        var closure = Resolve(exe);
        Assert.Equal([ld, $"{rpath}/libdep.so"], closure.Files.Select(f => f.Path));
        var dep = closure.Files[1];
        Assert.Equal((SearchRule.RPath, $"libdep.so, needed by {ld}, found in RPATH of {exe} {rpath}"), (dep.Rule, dep.Reason));
        var interp = Assert.Single(closure.Roots[0].Children);
        Assert.Equal((ld, SearchRule.Interpreter, true), (interp.Path, interp.Rule, interp.IsRepeat));
    }

    [Fact]
    public void TheInterpreterReachedByAnotherNameIsNotLoadedTwice()
    {
        // libalias.so on the RUNPATH is a link to the interpreter: the same file, so the same object.
        var ld = Put("il/ld/ld.so", new ElfImage { Soname = "ld-other.so.1" });
        Link("il/lib/libalias.so", ld);
        var exe = Put("il/app", new ElfImage { Interpreter = ld, Needed = ["libalias.so"], RunPath = P("il/lib") });
        var closure = Resolve(exe);
        Assert.Equal([ld], closure.Files.Select(f => f.Path));
        var alias = Assert.Single(closure.Roots[0].Children);
        Assert.Equal((ld, SearchRule.Interpreter), (alias.Path, alias.Rule));
    }

    [Fact]
    public void TheInterpreterAnswersToItsPathBeforeAnyCheck()
    {
        // A RISC-V program whose interpreter (an x86-64 file here) is also a DT_NEEDED path: glibc matches the loaded
        // map by name and never opens the file again, so the machine check that would skip it does not happen.
        var exe = Put("ip/app", new ElfImage { Machine = ElfMachine.RiscV, Interpreter = Interp, Needed = [Interp] });
        var closure = Resolve(exe);
        Assert.Equal([Interp], closure.Files.Select(f => f.Path));
        Assert.Equal(SearchRule.Interpreter, Assert.Single(closure.Roots[0].Children).Rule);
    }

    [Fact]
    public void AProgramWithAnInterpreterAndNoNeedsIsDynamic()
    {
        var exe = Put("dy/app", new ElfImage { Interpreter = Interp });
        var closure = Resolve(exe);
        Assert.Equal([Interp], closure.Files.Select(f => f.Path));
        Assert.False(closure.Roots[0].IsStatic);
        Assert.Equal(Interp, closure.Roots[0].Interpreter);
    }

    [Fact]
    public void ALibraryOnlyLdSoConfFindsIsPlacedInTheFirstDefaultDirectory()
    {
        var conf = _dir.Write("cf/ld.so.conf", P("cf/lib") + "\n");
        Put("cf/lib/libconf.so", new ElfImage { Soname = "libconf.so" });
        var exe = Put("cf/app", new ElfImage { Interpreter = Interp, Needed = ["libconf.so"] });
        // No default directory exists: the first one named; none at all: /usr/lib.
        foreach (var (defaults, placed) in new[] { (new[] { "/nonexistent-a", "/nonexistent-b" }, "/nonexistent-a"), (Array.Empty<string>(), "/usr/lib") })
        {
            var closure = Resolve(exe, new ResolverOptions { LdSoConf = conf, DefaultDirectories = defaults });
            var lib = closure.Files[1];
            Assert.Equal((P("cf/lib/libconf.so"), SearchRule.LdSoConf), (lib.Path, lib.Rule));
            Assert.Equal([$"{placed}/libconf.so"], lib.ExtraPaths);
            Assert.Equal($"libconf.so, needed by {exe}, found in ld.so.conf directory {P("cf/lib")} " +
                         "(ld.so reads only /etc/ld.so.cache, so the image needs that cache or the library on a default path)", lib.Reason);
        }
    }

    [Fact]
    public void NoDefaultLibDropsCacheDirectoriesBelowADefaultOneButNotBesideIt()
    {
        // Under NODEFLIB, .../lib/sub (below the default .../lib) is dropped; .../libx only shares a prefix and stays.
        var conf = _dir.Write("nd/ld.so.conf", $"{P("nd/lib/sub")}\n{P("nd/libx")}\n");
        Put("nd/lib/sub/libnd.so", new ElfImage { Soname = "libnd.so" });
        Put("nd/libx/libnd.so", new ElfImage { Soname = "libnd.so" });
        var exe = Put("nd/app", new ElfImage { Interpreter = Interp, Needed = ["libnd.so"], Flags1 = 0x800 });
        var closure = Resolve(exe, new ResolverOptions { LdSoConf = conf, DefaultDirectories = [P("nd/lib")] });
        Assert.Equal(P("nd/libx/libnd.so"), closure.Files[1].Path);
    }

    [Fact]
    public void SearchPathElementsWithoutAValueOrRelativeAreDroppedAndTheRootIsSlash()
    {
        // RISC-V has no $PLATFORM: that element is dropped; "rel" is relative: dropped with a warning; "/" stays "/";
        // only LD_LIBRARY_PATH splits at ';', so a RUNPATH directory may have one in its name.
        var exe = Put("sp/app", new ElfImage
        {
            Machine = ElfMachine.RiscV, Interpreter = Interp, Needed = ["libnone.so"], Flags1 = 0x800,
            RunPath = $"/opt/$PLATFORM/lib:rel:/:{P("sp/semi;colon")}",
        });
        var options = new ResolverOptions { LdSoConf = null, LibraryPath = [P("sp/lp")] };
        Assert.Equal($"{exe}: cannot find libnone.so (needed by {exe}); searched LibraryPath [{P("sp/lp")}], " +
                     $"RUNPATH of {exe} [/, {P("sp/semi;colon")}]; add it with AddFile or fix the RUNPATH", Error(exe, options));
    }

    [Fact]
    public void OriginOfAFileAtTheTopOfTheRootIsSlash()
    {
        // In a root of its own, /app's $ORIGIN is "/", and a library there is "/libroot.so" (no doubled slash).
        var files = new HostFiles(_dir.Path);
        Put("ld.so", new ElfImage { Soname = "ld.so" });
        Put("libroot.so", new ElfImage { Soname = "libroot.so" });
        Put("app", new ElfImage { Interpreter = "/ld.so", Needed = ["libroot.so"], RunPath = "$ORIGIN" });
        var closure = Resolve("/app", new ResolverOptions { Files = files, LdSoConf = null, DefaultDirectories = [] });
        var lib = closure.Files[1];
        Assert.Equal(("/libroot.so", "libroot.so, needed by /app, found in RUNPATH of /app /"), (lib.Path, lib.Reason));
        Assert.Empty(closure.Warnings);
    }

    [Fact]
    public void ASearchDirectoryThatIsASymlinkLoopIsPassedOver()
    {
        var loop = Link("sl/loop", "loop");
        Put("sl/lib/libl.so", new ElfImage { Soname = "libl.so" });
        var exe = Put("sl/app", new ElfImage { Interpreter = Interp, Needed = ["libl.so"], RunPath = $"{loop}:{P("sl/lib")}" });
        Assert.Equal(P("sl/lib/libl.so"), Resolve(exe).Files[1].Path);
    }

    [Fact]
    public void AnExecutablePathThatLoopsSaysSo()
    {
        var loop = Link("el/loop", "loop");
        var message = Error(loop);
        Assert.StartsWith($"{loop}: {loop}: ", message);
        Assert.EndsWith("too many levels of symbolic links", message);
    }

    [Fact]
    public void AHeaderShorterThanTheClassesIsTooShortAndOneThatFitsIsReadOn()
    {
        // 64-bit: 60 bytes hold a 32-bit header but not a 64-bit one.
        var lib64 = new ElfImage { Soname = "libshort.so" }.Build();
        Put("sh64/lib/libshort.so", lib64[..60]);
        var exe64 = Put("sh64/app", new ElfImage { Interpreter = Interp, Needed = ["libshort.so"], RunPath = P("sh64/lib") });
        Assert.Equal(Fatal(exe64, "libshort.so", "file too short", P("sh64/lib/libshort.so"), exe64), Error(exe64));

        // 32-bit: 56 bytes hold the whole header, so ld.so goes on and fails reading the program headers.
        var lib32 = new ElfImage { Is64 = false, Machine = ElfMachine.I386, Soname = "libshort.so" }.Build();
        Put("sh32/lib/libshort.so", lib32[..56]);
        var exe32 = Put("sh32/app", new ElfImage { Is64 = false, Machine = ElfMachine.I386, Interpreter = Interp, Needed = ["libshort.so"], RunPath = P("sh32/lib") });
        var message = Error(exe32);
        Assert.StartsWith($"{exe32}: error while loading shared libraries: libshort.so: cannot read file data ({P("sh32/lib/libshort.so")}: ", message);
        Assert.EndsWith($") (file {P("sh32/lib/libshort.so")}, needed by {exe32}); ld.so stops at this file instead of searching on, so remove or replace it", message);
    }

    [Fact]
    public void ThirtyTwoBitAndBigEndianLibrariesLoad()
    {
        foreach (var (kind, is64, bigEndian, machine) in new[] { ("i386", false, false, ElfMachine.I386), ("s390x", true, true, ElfMachine.S390) })
        {
            Put($"{kind}/lib/libok.so", new ElfImage { Is64 = is64, BigEndian = bigEndian, Machine = machine, Soname = "libok.so" });
            var exe = Put($"{kind}/app", new ElfImage
            {
                Is64 = is64, BigEndian = bigEndian, Machine = machine, Interpreter = Interp, Needed = ["libok.so"], RunPath = P($"{kind}/lib"),
            });
            Assert.Equal(P($"{kind}/lib/libok.so"), Resolve(exe).Files[1].Path);
        }
    }

    [Fact]
    public void ALittleEndianLibraryForABigEndianProgramIsFatal()
    {
        Put("be/lib/libok.so", new ElfImage { Machine = ElfMachine.S390, Soname = "libok.so" });
        var exe = Put("be/app", new ElfImage { BigEndian = true, Machine = ElfMachine.S390, Interpreter = Interp, Needed = ["libok.so"], RunPath = P("be/lib") });
        Assert.Equal(Fatal(exe, "libok.so", "ELF file data encoding not big-endian", P("be/lib/libok.so"), exe), Error(exe));
    }

    [Fact]
    public void AFilePutElsewhereInTheImageFindsOriginLibrariesNextToItsSource()
    {
        // The recipe's build/m goes to /m in the image: $ORIGIN is "/" there, where the loader will look, while the
        // bytes of liba.so (and of libb.so, through liba's own $ORIGIN) are read next to build/m on the host.
        var image = new HostFiles(P("reloc/root"));
        Put("reloc/root/ld.so", new ElfImage { Soname = "ld.so" });
        var liba = Put("reloc/build/liba.so", new ElfImage { Soname = "liba.so", Needed = ["libb.so"], RunPath = "$ORIGIN" });
        var libb = Put("reloc/build/libb.so", new ElfImage { Soname = "libb.so" });
        var m = Put("reloc/build/m", new ElfImage { Interpreter = "/ld.so", Needed = ["liba.so"], RunPath = "$ORIGIN" });
        var resolver = new LibraryResolver(new ResolverOptions { Files = image, LdSoConf = null, DefaultDirectories = [] });
        var closure = resolver.Resolve([new ElfInput("/m", new HostFiles("/"), m)]);
        Assert.Equal([("/ld.so", null, SearchRule.Interpreter), ("/liba.so", liba, SearchRule.RunPath), ("/libb.so", libb, SearchRule.RunPath)],
            closure.Files.Select(f => (f.Path, f.SourceHostPath, f.Rule)));
        Assert.Equal(("/m", "/liba.so"), (closure.Roots[0].Path, closure.Roots[0].Children[0].Path));
        Assert.Equal("liba.so, needed by /m, found in RUNPATH of /m /", closure.Files[1].Reason); // the directory is "/", not ""

        var relative = Assert.Throws<TinyImageException>(() => resolver.Resolve([new ElfInput("/m", new HostFiles("/"), "build/m")]));
        Assert.Equal("build/m: executable paths must be absolute paths inside the root", relative.Message);
    }

    [Fact]
    public void AFileFromAnotherRootAtTheSamePathReadsOriginLibrariesFromThatRoot()
    {
        // The host's same/m at the same path in an image rooted elsewhere: $ORIGIN is the same directory in both,
        // but liba.so is read from the host, where it is, not from the image's root, where it is not.
        var image = new HostFiles(P("same/root"));
        Put("same/root/ld.so", new ElfImage { Soname = "ld.so" });
        var liba = Put("same/liba.so", new ElfImage { Soname = "liba.so" });
        var m = Put("same/m", new ElfImage { Interpreter = "/ld.so", Needed = ["liba.so"], RunPath = "$ORIGIN" });
        var closure = new LibraryResolver(new ResolverOptions { Files = image, LdSoConf = null, DefaultDirectories = [] })
            .Resolve([new ElfInput(m, new HostFiles("/"), m)]);
        Assert.Equal((liba, liba), (closure.Files[1].Path, closure.Files[1].SourceHostPath));
    }

    [Fact]
    public void ACandidateThatIsASymlinkLoopStopsTheSearch()
    {
        var loop = Link("cl/first/libl.so", "libl.so");
        Put("cl/lib/libl.so", new ElfImage { Soname = "libl.so" });
        var exe = Put("cl/app", new ElfImage { Interpreter = Interp, Needed = ["libl.so"], RunPath = $"{P("cl/first")}:{P("cl/lib")}" });
        Assert.Equal(Fatal(exe, "libl.so", $"{loop}: too many levels of symbolic links", loop, exe), Error(exe));
    }

    [Fact]
    public void ACandidateThatIsAFifoStopsTheSearchUnread()
    {
        var fifo = P("ff/first/libf.so");
        Directory.CreateDirectory(P("ff/first"));
        Assert.Equal(0, Run.Process("mkfifo", [fifo]).ExitCode);
        Put("ff/lib/libf.so", new ElfImage { Soname = "libf.so" });
        var exe = Put("ff/app", new ElfImage { Interpreter = Interp, Needed = ["libf.so"], RunPath = $"{P("ff/first")}:{P("ff/lib")}" });
        Assert.Equal(Fatal(exe, "libf.so", "it is a FIFO, socket or device", fifo, exe), Error(exe));
    }
}
