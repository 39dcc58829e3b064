using TinyImage.Core;
using TinyImage.Core.Elf;

namespace TinyImage.Tests.Elf;

[Collection(ElfCollection.Name)]
public sealed class LibraryResolverTests(ElfFixture fixture)
{
    private const string Interp = "/lib64/ld-linux-x86-64.so.2";

    private static Closure Resolve(params string[] executables) => new LibraryResolver().Resolve(executables);

    private static string[] Paths(Closure closure) => closure.Files.Select(f => f.Path).ToArray();

    /// <summary>Asserts the real loader, run on the executable, loads exactly the files of the closure.</summary>
    private static void AssertLoaderAgrees(string executable, Closure closure)
    {
        var trace = LoaderTrace.Of(executable);
        Assert.True(trace.ExitCode == 0 && trace.NotFound.Count == 0, trace.Output);
        Assert.Equal(trace.Paths.Order(StringComparer.Ordinal), Paths(closure).Order(StringComparer.Ordinal));
    }

    private static void AssertLoaderFails(string executable, string expected)
    {
        var trace = LoaderTrace.Of(executable);
        Assert.True(trace.ExitCode != 0 || trace.NotFound.Count > 0, trace.Output);
        Assert.Contains(expected, trace.Output);
    }

    [Fact]
    public void BashNeedsInterpreterTinfoAndLibc()
    {
        var closure = Resolve("/bin/bash");
        Assert.Equal([Interp, "/lib/x86_64-linux-gnu/libtinfo.so.6", "/lib/x86_64-linux-gnu/libc.so.6"], Paths(closure));
        Assert.Equal("ELF interpreter of /bin/bash", closure.Files[0].Reason);
        Assert.Equal("libtinfo.so.6, needed by /bin/bash, found in default path /lib/x86_64-linux-gnu", closure.Files[1].Reason);
        Assert.Equal("libc.so.6", closure.Files[2].Soname);
        Assert.False(closure.NeedsLdSoCache);
        AssertLoaderAgrees("/bin/bash", closure);
    }

    [Fact]
    public void LsGetsPcreThroughSelinux()
    {
        var closure = Resolve("/bin/ls");
        AssertLoaderAgrees("/bin/ls", closure);
        Assert.Equal(
            """
            /bin/ls (interpreter => /lib64/ld-linux-x86-64.so.2)
                libselinux.so.1 => /lib/x86_64-linux-gnu/libselinux.so.1
                    libpcre2-8.so.0 => /lib/x86_64-linux-gnu/libpcre2-8.so.0
                libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6

            """.Replace("\r\n", "\n"),
            DependencyTreePrinter.Print(closure));
        var selinux = closure.Roots[0].Children[0];
        Assert.Contains(selinux.Children, c => c.Name == "libc.so.6" && c.IsRepeat && c.Children.Count == 0);
        Assert.Contains("(already loaded)", DependencyTreePrinter.Print(closure, showRepeats: true));
    }

    [Fact]
    public void SeveralExecutablesShareFilesOnce()
    {
        var closure = Resolve("/bin/bash", "/bin/ls", "/bin/bash");
        Assert.Equal(5, closure.Files.Count);
        Assert.Equal(3, closure.Roots.Count);
        Assert.Equal(closure.Files.Count, closure.Files.Select(f => f.Path).Distinct().Count());
    }

    [Fact]
    public void RPathIsInherited()
    {
        var exe = fixture.P("ri/bin/app-rpath");
        var closure = Resolve(exe);
        Assert.Equal([Interp, fixture.P("ri/lib/libtop.so"), "/lib/x86_64-linux-gnu/libc.so.6", fixture.P("ri/lib/libsib.so")], Paths(closure));
        var sib = closure.Files.Single(f => f.NeededName == "libsib.so");
        Assert.Equal(SearchRule.RPath, sib.Rule);
        Assert.Contains($"RPATH of {exe}", sib.Reason);
        AssertLoaderAgrees(exe, closure);
    }

    [Fact]
    public void RunPathIsNotInherited()
    {
        var exe = fixture.P("ri/bin/app-runpath");
        var e = Assert.Throws<TinyImageException>(() => Resolve(exe));
        Assert.StartsWith($"{exe}: cannot find libsib.so (needed by {fixture.P("ri/lib/libtop.so")}); searched ", e.Message);
        Assert.Contains("default path [/lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib, /usr/lib]", e.Message);
        Assert.EndsWith("add it with AddFile or fix the RUNPATH", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        AssertLoaderFails(exe, "libsib.so => not found");
    }

    [Fact]
    public void RPathIsMaskedByTheLoadersRunPath()
    {
        var exe = fixture.P("rm/bin/app");
        var e = Assert.Throws<TinyImageException>(() => Resolve(exe));
        Assert.Contains($"cannot find libsib.so (needed by {fixture.P("rm/lib/libtop.so")})", e.Message);
        Assert.Contains($"RUNPATH of {fixture.P("rm/lib/libtop.so")} [/nonexistent-rm]", e.Message);
        AssertLoaderFails(exe, "libsib.so => not found");
    }

    [Fact]
    public void RPathIsIgnoredWhenRunPathIsPresent()
    {
        var exe = fixture.P("bt/app");
        var e = Assert.Throws<TinyImageException>(() => Resolve(exe));
        Assert.Contains("cannot find libsib.so", e.Message);
        Assert.DoesNotContain("RPATH", e.Message);
        AssertLoaderFails(exe, "libsib.so => not found");
    }

    [Fact]
    public void Finding16_RPathOfAnObjectWithRunPathIsNotInheritedEither()
    {
        // RPATH=rr/a and RUNPATH=rr/b on the program; libfromb.so (from rr/b) needs libonlya.so, which only rr/a has.
        var exe = fixture.P("rr/app");
        var e = Assert.Throws<TinyImageException>(() => Resolve(exe));
        Assert.Contains($"cannot find libonlya.so (needed by {fixture.P("rr/b/libfromb.so")})", e.Message);
        Assert.DoesNotContain("RPATH", e.Message);
        AssertLoaderFails(exe, "libonlya.so => not found");
    }

    [Fact]
    public void Finding16_NoDefaultLibIsTheFlagOfTheObjectThatNeedsTheLibrary()
    {
        // A NODEFLIB library of a plain program: libm is not searched for in the default directories.
        var nodefLibrary = fixture.P("nf/app-lib");
        var e = Assert.Throws<TinyImageException>(() => Resolve(nodefLibrary));
        Assert.Contains($"cannot find libm.so.6 (needed by {fixture.P("nf/lib/libnodefm.so")})", e.Message);
        AssertLoaderFails(nodefLibrary, "libm.so.6 => not found");

        // A plain library of a NODEFLIB program: libm comes from the default path.
        var nodefProgram = fixture.P("nf/app-exe");
        var closure = Resolve(nodefProgram);
        Assert.Contains(closure.Files, f => f.NeededName == "libm.so.6" && f.Rule == SearchRule.DefaultPath);
        AssertLoaderAgrees(nodefProgram, closure);
    }

    [Fact]
    public void OriginOfExecutableFollowsSymlinks()
    {
        var link = fixture.P("oe/link/app");
        var closure = Resolve(link);
        Assert.Equal(fixture.P("oe/real/bin/../lib/liborig.so"), closure.Files[1].Path);
        Assert.Equal(SearchRule.RunPath, closure.Files[1].Rule);
        AssertLoaderAgrees(link, closure);
    }

    [Fact]
    public void OriginOfLibraryIsTheDirectoryItWasFoundIn()
    {
        var exe = fixture.P("ol/bin/app");
        var e = Assert.Throws<TinyImageException>(() => Resolve(exe));
        Assert.Contains($"cannot find libsibo.so (needed by {fixture.P("ol/lib/libtopo.so")})", e.Message);
        Assert.Contains($"RUNPATH of {fixture.P("ol/lib/libtopo.so")} [{fixture.P("ol/lib")}]", e.Message);
        AssertLoaderFails(exe, "libsibo.so => not found");
    }

    [Fact]
    public void StaticBinariesNeedNothing()
    {
        var closure = Resolve(fixture.P("st/static"), fixture.P("st/static-pie"));
        Assert.Empty(closure.Files);
        Assert.All(closure.Roots, r => Assert.True(r.IsStatic));
        Assert.Equal($"{fixture.P("st/static")} (static)\n{fixture.P("st/static-pie")} (static)\n", DependencyTreePrinter.Print(closure));
    }

    [Fact]
    public void NonElfExecutableIsACleanError()
    {
        var e = Assert.Throws<TinyImageException>(() => Resolve(fixture.P("ft/first/libsib.so")));
        Assert.Contains("not an ELF file", e.Message);
        Assert.Throws<TinyImageException>(() => Resolve(fixture.P("nope")));
        Assert.Throws<TinyImageException>(() => Resolve("relative/path"));
    }

    [Fact]
    public void WrongClassAndWrongMachineCandidatesAreSkipped()
    {
        foreach (var dir in new[] { "wc", "wm" })
        {
            var exe = fixture.P($"{dir}/app");
            var closure = Resolve(exe);
            Assert.Equal(fixture.P("ri/lib/libsib.so"), closure.Files[1].Path);
            AssertLoaderAgrees(exe, closure);
        }
    }

    [Fact]
    public void UnusableCandidateFirstOnThePathIsFatal()
    {
        var cases = new[] { ("ft", "invalid ELF header"), ("fo", "ELF file OS ABI invalid"), ("fd", "cannot read file data: Error 21") };
        foreach (var (dir, reason) in cases)
        {
            var exe = fixture.P($"{dir}/app");
            var e = Assert.Throws<TinyImageException>(() => Resolve(exe));
            Assert.StartsWith($"{exe}: error while loading shared libraries: libsib.so: ", e.Message);
            Assert.Contains(reason, e.Message);
            Assert.Contains(fixture.P($"{dir}/first/libsib.so"), e.Message);
            AssertLoaderFails(exe, reason);
        }
    }

    [Theory]
    [InlineData("big-endian", "ELF file data encoding not little-endian")]
    [InlineData("ident-version", "ELF file version ident does not match current one")]
    [InlineData("e-version", "ELF file version does not match current one")]
    [InlineData("relocatable", "only ET_DYN and ET_EXEC can be loaded")]
    [InlineData("phentsize", "ELF file's phentsize not the expected size")]
    [InlineData("short", "file too short")]
    [InlineData("exec", "cannot dynamically load executable")]
    [InlineData("pie", "cannot dynamically load position-independent executable")]
    public void CandidateTheLoaderRefusesStopsTheSearch(string kind, string reason)
    {
        // bad/KIND/libtop.so comes first (LD_LIBRARY_PATH before the RUNPATH that has the good one): ld.so stops there.
        var exe = fixture.P("ri/bin/app-runpath");
        var bad = fixture.P($"bad/{kind}");
        var e = Assert.Throws<TinyImageException>(() => new LibraryResolver(new ResolverOptions { LibraryPath = [bad] }).Resolve([exe]));
        Assert.Equal($"{exe}: error while loading shared libraries: libtop.so: {reason} (file {bad}/libtop.so, needed by {exe}); " +
                     "ld.so stops at this file instead of searching on, so remove or replace it", e.Message);
        var (rc, stdout, stderr) = ElfFixture.Run(exe, [], environment: new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = bad });
        Assert.True(rc != 0 && stderr.Contains($"libtop.so: {reason}", StringComparison.Ordinal), $"{exe} with LD_LIBRARY_PATH={bad}: {rc} {stdout}{stderr}");
    }

    [Fact]
    public void CycleTerminates()
    {
        var exe = fixture.P("cy/app");
        var closure = Resolve(exe);
        Assert.Equal([Interp, fixture.P("cy/lib/liba.so"), "/lib/x86_64-linux-gnu/libc.so.6", fixture.P("cy/lib/libb.so")], Paths(closure));
        var tree = DependencyTreePrinter.Print(closure, showRepeats: true);
        Assert.Contains("liba.so => " + fixture.P("cy/lib/liba.so") + " (already loaded)", tree);
        AssertLoaderAgrees(exe, closure);
    }

    [Fact]
    public void FirstLoadedSonameWins()
    {
        var exe = fixture.P("ds/app");
        var closure = Resolve(exe);
        Assert.DoesNotContain(fixture.P("ds/lib/libshared.so.1"), Paths(closure));
        Assert.Contains(fixture.P("ds/lib/libfirst.so"), Paths(closure));
        AssertLoaderAgrees(exe, closure);
    }

    [Fact]
    public void LdSoConfDirectoriesStandInForTheCache()
    {
        var exe = fixture.P("cf/app");
        var options = new ResolverOptions { LdSoConf = fixture.P("cf/etc/ld.so.conf") };
        var closure = new LibraryResolver(options).Resolve([exe]);
        var lib = closure.Files.Single(f => f.NeededName == "libconf.so");
        Assert.Equal(fixture.P("cf/dir2/libconf.so"), lib.Path);
        Assert.Equal(SearchRule.LdSoConf, lib.Rule);
        Assert.True(closure.NeedsLdSoCache);

        var e = Assert.Throws<TinyImageException>(() => new LibraryResolver(new ResolverOptions { LdSoConf = null }).Resolve([exe]));
        Assert.Contains("cannot find libconf.so", e.Message);
    }

    [Fact]
    public void LibraryPathIsSearchedBeforeRunPath()
    {
        var exe = fixture.P("ri/bin/app-runpath");
        var closure = new LibraryResolver(new ResolverOptions { LibraryPath = [fixture.P("rm/lib")] }).Resolve([exe]);
        Assert.Equal(fixture.P("rm/lib/libtop.so"), closure.Files[1].Path);
        Assert.Equal(SearchRule.LibraryPath, closure.Files[1].Rule);
    }

    [Fact]
    public void NeededWithSlash()
    {
        var abs = Resolve(fixture.P("ns/app-abs"));
        Assert.Equal(fixture.P("ns/libnoso.so"), abs.Files[1].Path);
        Assert.Equal(SearchRule.DirectPath, abs.Files[1].Rule);

        var e = Assert.Throws<TinyImageException>(() => Resolve(fixture.P("ns/app-rel")));
        Assert.Contains("'./libnoso.so'", e.Message);
        Assert.Contains("unportable relative DT_NEEDED", e.Message);

        var origin = fixture.P("no/app");
        var closure = Resolve(origin);
        Assert.Equal(fixture.P("no/lib/liborigso.so"), closure.Files[1].Path);
        AssertLoaderAgrees(origin, closure);
    }

    [Fact]
    public void RelativeRPathElementsAreSkippedWithAWarning()
    {
        var exe = fixture.P("em/app");
        var closure = Resolve(exe);
        Assert.Equal(fixture.P("ri/lib/libsib.so"), closure.Files[1].Path);
        Assert.Contains(closure.Warnings, w => w.Contains("element ''", StringComparison.Ordinal));
        Assert.Contains(closure.Warnings, w => w.Contains("element 'rel'", StringComparison.Ordinal));
        AssertLoaderAgrees(exe, closure);
    }

    [Fact]
    public void NoDefaultLibSkipsDefaultDirectories()
    {
        var exe = fixture.P("nd/app");
        var e = Assert.Throws<TinyImageException>(() => Resolve(exe));
        Assert.Contains("cannot find libc.so.6", e.Message);
        Assert.DoesNotContain("default path", e.Message);
        AssertLoaderFails(exe, "libc.so.6 => not found");
    }

    [Fact]
    public void ResolvesInsideAnotherRoot()
    {
        // The fixture directory as a root: ri/lib's files seen as /ri/lib/..., RPATH pointing at host paths misses.
        var files = new TinyImage.Core.FileSystem.HostFiles(fixture.Dir);
        var e = Assert.Throws<TinyImageException>(() =>
            new LibraryResolver(new ResolverOptions { Files = files }).Resolve(["/ri/bin/app-rpath"]));
        Assert.Contains("/ri/bin/app-rpath: its ELF interpreter /lib64/ld-linux-x86-64.so.2 does not exist", e.Message);
    }
}
