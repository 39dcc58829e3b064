using System.Text.RegularExpressions;
using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using TinyImage.Tests.Corpus;

namespace TinyImage.Tests.Elf;

/// <summary>
/// The edge cases of notes/elf.md section 5, checked against the real loader: the file tree our
/// closure gives is written to a directory, and glibc's ld.so lists (and the program runs) inside
/// it under chroot, with the same result as on the host.
/// </summary>
[Collection(ElfCollection.Name)]
public sealed class LoaderEdgeCaseTests(ElfFixture fixture)
{
    private const string Interp = LoaderOracle.DefaultInterpreter;

    /// <summary>
    /// Builds the image of <paramref name="executable"/>, checks that PT_INTERP exists at its exact
    /// path inside it (edge case 25), that ld.so in a chroot of it opens exactly the closure's files
    /// (compared as real files inside the image, and as paths unless libraries were placed on a
    /// default path), and that the program exits there as it does on the host (with 0 when
    /// <paramref name="hostRuns"/> is false).
    /// </summary>
    private static Closure AssertRunsInImage(string executable, ResolverOptions? options = null, string[]? args = null, bool hostRuns = true)
    {
        var closure = new LibraryResolver(options).Resolve([executable]);
        using var image = ChrootImage.Of([executable], closure);
        var inImage = new HostFiles(image.Directory);
        if (ElfReader.Read(executable).Interpreter is { } interp)
            Assert.True(inImage.Resolve(interp) is { } r && File.Exists(inImage.HostPath(r.RealPath)), $"{interp} does not exist in the image of {executable}");

        var real = HostRealPath.Of(executable)!;
        var listing = image.List(real);
        Assert.True(listing.Verdict == LoaderVerdict.Loaded, $"ld.so --list {real} in the image of {executable}: {listing.Output}");
        var placed = closure.Files.Any(f => f.ExtraPaths.Count > 0);
        if (!placed)
            Assert.Equal(closure.Files.Select(f => f.Path).Order(StringComparer.Ordinal), listing.Paths.Order(StringComparer.Ordinal));
        Assert.Equal(
            closure.Files.Select(f => inImage.Resolve(f.Path)?.RealPath).Order(StringComparer.Ordinal),
            listing.Paths.Select(p => inImage.Resolve(p)?.RealPath).Order(StringComparer.Ordinal));

        var onHost = hostRuns ? LoaderOracle.Run(executable, args ?? []) : (ExitCode: 0, StdOut: "", StdErr: "");
        var there = image.Run(executable, args ?? []);
        Assert.True(onHost.ExitCode == there.ExitCode && onHost.StdOut == there.StdOut,
            $"{executable} exits {onHost.ExitCode} on the host but {there.ExitCode} in its image: {there.StdErr}");
        return closure;
    }

    [Fact]
    public void BashAndLsRunInTheirImages()
    {
        // 1 bash-basic, 2 ls-transitive, 25 interp-symlink (PT_INTERP /lib64/... through /lib64 -> usr/lib64 and an absolute link).
        AssertRunsInImage("/bin/bash", args: ["-c", "echo hello"]);
        var ls = AssertRunsInImage("/bin/ls", args: ["-d", "/"]);
        Assert.Contains(ls.Files, f => f.NeededName == "libpcre2-8.so.0");
        using var image = ChrootImage.Of(["/bin/ls"], ls);
        Assert.Equal(EntryKind.Symlink, image.Tree.Find("/lib64")?.Kind);
        Assert.Equal(EntryKind.Symlink, image.Tree.Find("/usr/lib64/ld-linux-x86-64.so.2")?.Kind);
    }

    [Fact]
    public void RPathInheritanceCycleAndDuplicateSonameRunInTheirImages()
    {
        // 3 rpath-inherit, 15 cycle, 16 dup-soname (first in BFS order wins), 12 wrong class/machine first.
        AssertRunsInImage(fixture.P("ri/bin/app-rpath"));
        var cycle = AssertRunsInImage(fixture.P("cy/app"));
        Assert.Equal(cycle.Files.Count, cycle.Files.Select(f => f.Path).Distinct().Count());
        var dup = AssertRunsInImage(fixture.P("ds/app"));
        Assert.DoesNotContain(dup.Files, f => f.Path == fixture.P("ds/lib/libshared.so.1"));
        AssertRunsInImage(fixture.P("wc/app"));
        AssertRunsInImage(fixture.P("wm/app"));
    }

    [Fact]
    public void OriginCasesRunInTheirImages()
    {
        // 7 origin-exe-symlink: the executable's $ORIGIN is its real directory.
        AssertRunsInImage(fixture.P("oe/link/app"));
        // 8 origin-lib-symlink: a library's $ORIGIN is the directory of the link it was found through.
        var viaLink = AssertRunsInImage(fixture.P("os/bin/app"));
        Assert.Contains(viaLink.Files, f => f.Path == fixture.P("os/lib/libsibs.so"));
        // 11 needed-origin and 10 needed-slash (absolute).
        AssertRunsInImage(fixture.P("no/app"));
        AssertRunsInImage(fixture.P("ns/app-abs"));
        // ".." after a symlinked directory applies to the link's target, as in the kernel.
        var dotdot = AssertRunsInImage(fixture.P("dd/app"));
        Assert.Equal(fixture.P("dd/link/../lib/libddsib.so"), dotdot.Files[1].Path);
    }

    [Fact]
    public void LibAndPlatformTokensRunInTheirImage()
    {
        // 9 lib-platform: $PLATFORM = x86_64, $LIB = lib/x86_64-linux-gnu, ${ORIGIN} braced, $FOO literal.
        var closure = AssertRunsInImage(fixture.P("lp/app"));
        Assert.Contains(closure.Files, f => f.Path == fixture.P("lp/x86_64/lib/x86_64-linux-gnu/libplat.so"));
        Assert.Contains(closure.Files, f => f.Path == fixture.P("lp/braced/libbrace.so"));
        Assert.Contains(closure.Files, f => f.Path == fixture.P("lp/$FOO/libfoolit.so"));
    }

    [Fact]
    public void FileWithoutSectionHeadersRunsInItsImage()
    {
        // 21 no-sections: e_shoff = e_shnum = 0; the dynamic strings are found through PT_LOAD.
        var closure = AssertRunsInImage(fixture.P("nx/app"));
        Assert.Contains(closure.Files, f => f.Path == fixture.P("ri/lib/libsib.so"));
    }

    [Fact]
    public void StaticAndStaticPieRunAloneInTheirImages()
    {
        // 19 static, 20 static-pie: the loader says so too, and the image holds only the binary.
        foreach (var name in new[] { "st/static", "st/static-pie" })
        {
            var exe = fixture.P(name);
            Assert.Equal(LoaderVerdict.Static, LoaderOracle.List(exe).Verdict);
            var closure = new LibraryResolver().Resolve([exe]);
            Assert.Empty(closure.Files);
            using var image = ChrootImage.Of([exe], closure);
            Assert.DoesNotContain(image.Tree.Entries(), e => e.Kind == EntryKind.File && e.Path != exe);
            Assert.Equal(0, image.Run(exe).ExitCode);
        }
    }

    [Fact]
    public void LibraryOnlyInLdSoConfIsPlacedOnADefaultPath()
    {
        // 18 no-cache: found through ld.so.conf (the host's cache would find it); the image has no cache.
        var exe = fixture.P("cf/app");
        var options = new ResolverOptions { LdSoConf = fixture.P("cf/etc/ld.so.conf") };
        var closure = new LibraryResolver(options).Resolve([exe]);
        var lib = closure.Files.Single(f => f.NeededName == "libconf.so");
        Assert.Equal(SearchRule.LdSoConf, lib.Rule);
        Assert.Equal(["/usr/lib/x86_64-linux-gnu/libconf.so"], lib.ExtraPaths);
        Assert.All(closure.Files.Where(f => f != lib), f => Assert.Empty(f.ExtraPaths));

        using (var without = ChrootImage.Of([exe], closure, placeExtraPaths: false))
        {
            var listing = without.List(exe);
            Assert.True(listing.Verdict == LoaderVerdict.Failed && listing.Output.Contains("libconf.so", StringComparison.Ordinal),
                $"without the extra path ld.so should miss libconf.so: {listing.Output}");
        }
        AssertRunsInImage(exe, options, hostRuns: false); // the host has no cache entry for it
    }

    [Fact]
    public void LdSoConfDirectoriesMatchLdconfig()
    {
        // 17 conf-include: relative glob, sorted matches, an empty match, hwcap and an include cycle, against ldconfig itself.
        var conf = fixture.P("cf/etc/ld.so.conf");
        using var cache = new TempFile();
        var (rc, stdout, stderr) = LoaderOracle.Run("ldconfig", ["-N", "-X", "-v", "-f", conf, "-C", cache.Path]);
        Assert.True(rc == 0, $"ldconfig -N -X -v -f {conf} failed ({rc}): {stderr[..Math.Min(500, stderr.Length)]}");
        var theirs = Regex.Matches(stdout, @"^(/\S*): \(from (?!<builtin>)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        var ours = LdSoConf.ReadDirectories(new HostFiles("/"), conf).Where(Directory.Exists).ToList();
        Assert.NotEmpty(theirs);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void TruncatedLibraryFirstOnThePathIsFatalForBoth()
    {
        // 13 fatal-first (truncated): ld.so stops at it instead of searching on.
        var exe = fixture.P("tr/app");
        var e = Assert.Throws<TinyImageException>(() => new LibraryResolver().Resolve([exe]));
        Assert.Contains(fixture.P("tr/first/libsib.so"), e.Message);
        var host = LoaderOracle.List(exe);
        // ld.so maps the truncated file and dies (SIGBUS) rather than searching on to the good copy in ri/lib.
        Assert.True(host.Verdict == LoaderVerdict.Failed, $"ld.so --list {exe} exited {host.ExitCode}: {host.Output}");
    }

    [Fact]
    public void Finding16_NoDefaultLibSkipsCachedLibrariesBelowADefaultDirectory()
    {
        // glibc tests a cache entry's path against each default directory as a prefix (dl-load.c), so for a NODEFLIB
        // requester a library cached in /usr/lib/x86_64-linux-gnu/extra is skipped like one in /usr/lib/x86_64-linux-gnu.
        // Checked in a root with its own ld.so.cache, made by ldconfig -r.
        var root = fixture.CacheRoot;
        var resolver = new LibraryResolver(new ResolverOptions { Files = new HostFiles(root) });
        var under = LoaderOracle.List("/app-under", chroot: root);
        Assert.True(under.Verdict == LoaderVerdict.Failed && under.FailedName == "libunder.so", $"ld.so --list /app-under in {root}: {under.Output}");
        var e = Assert.Throws<TinyImageException>(() => resolver.Resolve(["/app-under"]));
        Assert.Contains("cannot find libunder.so", e.Message);

        // A directory that is not below a default one stays, and without NODEFLIB both do.
        foreach (var (exe, lib) in new[] { ("/app-elsewhere", "/opt/conf/libelsewhere.so"), ("/app-plain", "/usr/lib/x86_64-linux-gnu/extra/libunder.so") })
        {
            var listing = LoaderOracle.List(exe, chroot: root);
            Assert.True(listing.Verdict == LoaderVerdict.Loaded, $"ld.so --list {exe} in {root}: {listing.Output}");
            Assert.Equal([Interp, lib], listing.Paths.Order(StringComparer.Ordinal));
            Assert.Equal([Interp, lib], resolver.Resolve([exe]).Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        }
    }

    /// <summary>A temporary file name, deleted afterwards.</summary>
    private sealed class TempFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tinyimage-{Guid.NewGuid():N}");

        public void Dispose() => File.Delete(Path);
    }
}
