using System.Buffers.Binary;
using System.Diagnostics;
using TinyImage.Tests.Corpus;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Real ELF files built with gcc once for the whole Elf collection, in a temporary directory:
/// small libraries and executables set up for each loader rule (RPATH, RUNPATH, $ORIGIN, cycles,
/// bad candidates, ld.so.conf). Paths are absolute host paths, used with the root "/".
/// </summary>
public sealed class ElfFixture : IDisposable
{
    public ElfFixture()
    {
        Dir = Directory.CreateTempSubdirectory("tinyimage-elf-").FullName;
        try
        {
            Build();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The temporary directory holding every fixture.</summary>
    public string Dir { get; }

    public string P(string relative) => Path.Combine(Dir, relative);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    private void Build()
    {
        // rpath-inherit / runpath-noinherit: libtop needs libsib; both in ri/lib.
        Lib("ri/lib/libsib.so", "sib", soname: "libsib.so");
        Lib("ri/lib/libtop.so", "top", soname: "libtop.so", calls: ["sib"], link: ["ri/lib/libsib.so"]);
        Exe("ri/bin/app-rpath", "top", ["ri/lib/libtop.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("ri/lib")}");
        Exe("ri/bin/app-runpath", "top", ["ri/lib/libtop.so"], "-Wl,--enable-new-dtags", $"-Wl,-rpath,{P("ri/lib")}");

        // rpath-masked: the loader of libsib (libtop) has a RUNPATH, so the executable's RPATH is not used.
        Lib("rm/lib/libsib.so", "sib", soname: "libsib.so");
        Lib("rm/lib/libtop.so", "top", soname: "libtop.so", calls: ["sib"], link: ["rm/lib/libsib.so"],
            extra: ["-Wl,--enable-new-dtags", "-Wl,-rpath,/nonexistent-rm"]);
        Exe("rm/bin/app", "top", ["rm/lib/libtop.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("rm/lib")}");

        // both-tags: RPATH "<ri/lib>:/nonexistent-bt" plus a RUNPATH "/nonexistent-bt" made from DT_DEBUG.
        var rpath = $"{P("ri/lib")}:/nonexistent-bt";
        Exe("bt/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{rpath}");
        AddRunPathFromDebug(P("bt/app"), P("ri/lib").Length + 1);

        // $ORIGIN of an executable reached through a symlink: the real directory counts.
        Lib("oe/real/lib/liborig.so", "orig", soname: "liborig.so");
        Exe("oe/real/bin/app", "orig", ["oe/real/lib/liborig.so"], "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib");
        Directory.CreateDirectory(P("oe/link"));
        File.CreateSymbolicLink(P("oe/link/app"), "../real/bin/app");

        // $ORIGIN of a library reached through a symlink: the link's directory counts.
        Lib("ol/real/libsibo.so", "sibo", soname: "libsibo.so");
        Lib("ol/real/libtopo.so", "topo", soname: "libtopo.so", calls: ["sibo"], link: ["ol/real/libsibo.so"],
            extra: ["-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN"]);
        Directory.CreateDirectory(P("ol/lib"));
        File.CreateSymbolicLink(P("ol/lib/libtopo.so"), "../real/libtopo.so");
        Exe("ol/bin/app", "topo", ["ol/real/libtopo.so"], "-Wl,--enable-new-dtags", $"-Wl,-rpath,{P("ol/lib")}");

        // Static and static-pie.
        Gcc("-O0", "-o", P("st/static"), "-static", Source("st/main.c", "int main(void){return 0;}"));
        Gcc("-O0", "-o", P("st/static-pie"), "-static-pie", P("st/main.c"));

        // wrong class / wrong machine first on the RPATH: skipped, libsib comes from ri/lib.
        Patched("wc/first/libsib.so", P("ri/lib/libsib.so"), 4, 1);
        Exe("wc/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("wc/first")}:{P("ri/lib")}");
        Patched("wm/first/libsib.so", P("ri/lib/libsib.so"), 18, 183);
        Exe("wm/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("wm/first")}:{P("ri/lib")}");

        // fatal first on the RPATH: a text file, an OS ABI 9 file, a directory.
        Directory.CreateDirectory(P("ft/first"));
        File.WriteAllText(P("ft/first/libsib.so"), "this is not a library, just text long enough to pass the loader's length check\n");
        Exe("ft/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("ft/first")}:{P("ri/lib")}");
        Patched("fo/first/libsib.so", P("ri/lib/libsib.so"), 7, 9);
        Exe("fo/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("fo/first")}:{P("ri/lib")}");
        Directory.CreateDirectory(P("fd/first/libsib.so"));
        Exe("fd/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("fd/first")}:{P("ri/lib")}");

        // cycle: liba <-> libb.
        Lib("cy/tmp/libb.so", "b", soname: "libb.so");
        Lib("cy/lib/liba.so", "a", soname: "liba.so", calls: ["b"], link: ["cy/tmp/libb.so"]);
        Lib("cy/lib/libb.so", "b", soname: "libb.so", calls: ["a"], link: ["cy/lib/liba.so"]);
        Exe("cy/app", "a", ["cy/lib/liba.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("cy/lib")}");

        // dup-soname: the file named libfirst.so has SONAME libshared.so.1, which libother.so needs.
        Lib("ds/build/libfirst.so", "first", soname: "libfirst.so");
        Lib("ds/lib/libshared.so.1", "shared", soname: "libshared.so.1");
        Lib("ds/lib/libother.so", "other", soname: "libother.so", calls: ["shared"], link: ["ds/lib/libshared.so.1"]);
        Gcc("-O0", "-o", P("ds/app"), Source("ds/main.c", "int first(void); int other(void); int main(void){return first()+other();}"),
            P("ds/build/libfirst.so"), P("ds/lib/libother.so"), "-Wl,--no-as-needed", "-Wl,--enable-new-dtags", $"-Wl,-rpath,{P("ds/lib")}");
        Gcc("-O0", "-shared", "-fPIC", "-o", P("ds/lib/libfirst.so"), "-Wl,-soname,libshared.so.1",
            Source("ds/first.c", "int first(void){return 0;} int shared(void){return 0;}"));

        // ld.so.conf with a relative include glob, comments, hwcap, an empty match and a cycle.
        Lib("cf/dir2/libconf.so", "conf", soname: "libconf.so");
        Exe("cf/app", "conf", ["cf/dir2/libconf.so"]);
        Directory.CreateDirectory(P("cf/dir1"));
        Directory.CreateDirectory(P("cf/etc/conf.d"));
        File.WriteAllText(P("cf/etc/ld.so.conf"), "# top\ninclude conf.d/*.conf nomatch/*.conf\nhwcap 0 nosegneg\n");
        File.WriteAllText(P("cf/etc/conf.d/20-b.conf"), $"{P("cf/dir2")}\n");
        File.WriteAllText(P("cf/etc/conf.d/10-a.conf"), $"{P("cf/dir1")} # trailing comment\ninclude ../ld.so.conf\n");
        File.WriteAllText(P("cf/etc/conf.d/ignored.txt"), "/should/not/appear\n");

        // DT_NEEDED with a slash: absolute, relative, and $ORIGIN.
        Gcc("-O0", "-shared", "-fPIC", "-o", P("ns/libnoso.so"), Source("ns/noso.c", "int noso(void){return 0;}"));
        Exe("ns/app-abs", "noso", ["ns/libnoso.so"]);
        GccIn(P("ns"), "-O0", "-o", "app-rel", Source("ns/main-rel.c", "int noso(void); int main(void){return noso();}"), "./libnoso.so");
        Lib("no/lib/liborigso.so", "origso", soname: "$ORIGIN/lib/liborigso.so");
        Exe("no/app", "origso", ["no/lib/liborigso.so"]);

        // RPATH with an empty and a relative element (the current directory): skipped with a warning.
        Exe("em/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,:rel:{P("ri/lib")}");

        // $PLATFORM, $LIB, ${ORIGIN} and an unknown $FOO kept literally, each in its own RUNPATH element.
        Lib("lp/x86_64/lib/x86_64-linux-gnu/libplat.so", "plat", soname: "libplat.so");
        Lib("lp/braced/libbrace.so", "brace", soname: "libbrace.so");
        Lib("lp/$FOO/libfoolit.so", "foolit", soname: "libfoolit.so");
        Gcc("-O0", "-o", P("lp/app"), Source("lp/app.c", "int plat(void); int brace(void); int foolit(void); int main(void){return plat()+brace()+foolit();}"),
            "-Wl,--no-as-needed", P("lp/x86_64/lib/x86_64-linux-gnu/libplat.so"), P("lp/braced/libbrace.so"), P("lp/$FOO/libfoolit.so"),
            "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/$PLATFORM/$LIB:${ORIGIN}/braced:$ORIGIN/$FOO");

        // ".." after a symlinked directory in a RUNPATH: dd/link -> deep/dir, so $ORIGIN/link/../lib is dd/deep/lib.
        Lib("dd/deep/lib/libddsib.so", "ddsib", soname: "libddsib.so");
        Directory.CreateDirectory(P("dd/deep/dir"));
        File.CreateSymbolicLink(P("dd/link"), "deep/dir");
        Exe("dd/app", "ddsib", ["dd/deep/lib/libddsib.so"], "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/link/../lib");

        // $ORIGIN of a library reached through a symlink, positive: its sibling is only in the link's directory.
        Lib("os/lib/libsibs.so", "sibs", soname: "libsibs.so");
        Lib("os/real/libtops.so", "tops", soname: "libtops.so", calls: ["sibs"], link: ["os/lib/libsibs.so"],
            extra: ["-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN"]);
        File.CreateSymbolicLink(P("os/lib/libtops.so"), "../real/libtops.so");
        Exe("os/bin/app", "tops", ["os/real/libtops.so"], "-Wl,--enable-new-dtags", $"-Wl,-rpath,{P("os/lib")}");

        // No section headers at all (e_shoff, e_shnum, e_shstrndx zeroed): ld.so never reads them.
        var noSections = File.ReadAllBytes(P("ri/bin/app-rpath"));
        Array.Clear(noSections, 40, 8);
        Array.Clear(noSections, 60, 4);
        Directory.CreateDirectory(P("nx"));
        File.WriteAllBytes(P("nx/app"), noSections);
        File.SetUnixFileMode(P("nx/app"), File.GetUnixFileMode(P("ri/bin/app-rpath")));

        // A truncated library first on the RPATH: fatal for ld.so, as for us.
        Directory.CreateDirectory(P("tr/first"));
        File.WriteAllBytes(P("tr/first/libsib.so"), File.ReadAllBytes(P("ri/lib/libsib.so")).AsSpan(0, 2000).ToArray());
        Exe("tr/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("tr/first")}:{P("ri/lib")}");

        // DF_1_NODEFLIB on the executable: libc is not searched in the default directories.
        Exe("nd/app", "sib", ["ri/lib/libsib.so"], "-Wl,-z,nodefaultlib", "-Wl,--enable-new-dtags", $"-Wl,-rpath,{P("ri/lib")}");

        // Finding 16: RPATH=rr/a plus RUNPATH=rr/b on the executable; libfromb.so (in rr/b) needs libonlya.so, only in rr/a.
        // The executable's RPATH is ignored because it has a RUNPATH, so ld.so cannot find libonlya.so.
        Lib("rr/a/libonlya.so", "onlya", soname: "libonlya.so");
        Lib("rr/b/libfromb.so", "fromb", soname: "libfromb.so", calls: ["onlya"], link: ["rr/a/libonlya.so"]);
        Exe("rr/app", "fromb", ["rr/b/libfromb.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("rr/a")}:{P("rr/b")}");
        AddRunPathFromDebug(P("rr/app"), P("rr/a").Length + 1);

        // Finding 16: DF_1_NODEFLIB is the requester's flag. A NODEFLIB library cannot get libm from the default
        // path although its program could; a plain library of a NODEFLIB program can.
        Lib("nf/lib/libnodefm.so", "nodefm", soname: "libnodefm.so", extra: ["-Wl,-z,nodefaultlib", "-lm"]);
        Exe("nf/app-lib", "nodefm", ["nf/lib/libnodefm.so"], "-Wl,--enable-new-dtags", $"-Wl,-rpath,{P("nf/lib")}");
        Lib("nf/lib/libplainm.so", "plainm", soname: "libplainm.so", extra: ["-lm"]);
        Exe("nf/app-exe", "plainm", ["nf/lib/libplainm.so"], "-Wl,-z,nodefaultlib", "-Wl,--enable-new-dtags",
            $"-Wl,-rpath,{P("nf/lib")}:/lib/x86_64-linux-gnu");

        // A candidate libtop.so that open_verify refuses, one per directory, for LD_LIBRARY_PATH before ri/bin/app-runpath's RUNPATH.
        var top = File.ReadAllBytes(P("ri/lib/libtop.so"));
        Bad("big-endian", top, (5, 2));
        Bad("ident-version", top, (6, 0));
        Bad("e-version", top, (20, 0));
        Bad("relocatable", top, (16, 1));
        Bad("phentsize", top, (54, 32));
        Directory.CreateDirectory(P("bad/short"));
        File.WriteAllBytes(P("bad/short/libtop.so"), top.AsSpan(0, 40).ToArray());
        Gcc("-O0", "-no-pie", "-o", P("bad/exec/libtop.so"), Source("bad/exec.c", "int main(void){return 0;}"));
        Gcc("-O0", "-pie", "-o", P("bad/pie/libtop.so"), P("bad/exec.c"));

        // A 4000-byte RPATH string, for a dynamic segment that names it many times over.
        Exe("lr/app", "sib", ["ri/lib/libsib.so"], "-Wl,--disable-new-dtags", $"-Wl,-rpath,{P("ri/lib")}:/{new string('x', 4000)}");

        // A root with its own ld.so.cache (ldconfig -r) listing a directory below a default one and one elsewhere:
        // glibc drops a cache entry for a NODEFLIB requester when its path starts with a default directory.
        BuildCacheRoot();
    }

    /// <summary>The root of <see cref="BuildCacheRoot"/>.</summary>
    public string CacheRoot => P("nc/root");

    /// <summary>
    /// nc/root: the host's ld.so at /lib64, an /etc/ld.so.conf naming /usr/lib/x86_64-linux-gnu/extra (below a
    /// default directory) and /opt/conf, one library in each, the cache ldconfig makes of them, and
    /// programs without libc: /app-under and /app-elsewhere (NODEFLIB) and /app-plain.
    /// </summary>
    private void BuildCacheRoot()
    {
        var root = CacheRoot;
        Source("nc/empty.c", "int tinyimage_cache_root;");
        Source("nc/start.c", "void _start(void){ __asm__ volatile (\"syscall\" : : \"a\"(60L), \"D\"(0L) : \"rcx\", \"r11\", \"memory\"); for (;;) {} }");
        Gcc("-shared", "-nostdlib", "-fPIC", "-o", $"{root}/usr/lib/x86_64-linux-gnu/extra/libunder.so", "-Wl,-soname,libunder.so", P("nc/empty.c"));
        Gcc("-shared", "-nostdlib", "-fPIC", "-o", $"{root}/opt/conf/libelsewhere.so", "-Wl,-soname,libelsewhere.so", P("nc/empty.c"));
        foreach (var (name, lib, nodeflib) in new[] { ("app-under", "usr/lib/x86_64-linux-gnu/extra/libunder.so", true),
                     ("app-elsewhere", "opt/conf/libelsewhere.so", true), ("app-plain", "usr/lib/x86_64-linux-gnu/extra/libunder.so", false) })
        {
            string[] flags = nodeflib ? ["-Wl,-z,nodefaultlib"] : [];
            Gcc(["-nostdlib", "-fPIC", "-o", $"{root}/{name}", P("nc/start.c"), "-Wl,--no-as-needed", $"{root}/{lib}", .. flags]);
        }
        Directory.CreateDirectory($"{root}/lib64");
        File.Copy(HostRealPath.Of(LoaderOracle.DefaultInterpreter)!, $"{root}{LoaderOracle.DefaultInterpreter}");
        Directory.CreateDirectory($"{root}/etc");
        File.WriteAllText($"{root}/etc/ld.so.conf", "/usr/lib/x86_64-linux-gnu/extra\n/opt/conf\n");
        var (rc, _, stderr) = Run("ldconfig", ["-X", "-r", root]);
        if (rc != 0 || !File.Exists($"{root}/etc/ld.so.cache")) throw new InvalidOperationException($"ldconfig -r {root} failed ({rc}): {stderr}");
    }

    private void Lib(string output, string function, string soname, string[]? calls = null, string[]? link = null, string[]? extra = null)
    {
        calls ??= [];
        var body = string.Concat(calls.Select(c => $"int {c}(void); ")) +
                   $"int {function}(void){{return {(calls.Length == 0 ? "0" : string.Join("+", calls.Select(c => c + "()")))};}}";
        var args = new List<string> { "-O0", "-shared", "-fPIC", "-o", P(output), $"-Wl,-soname,{soname}", "-Wl,--no-as-needed",
            Source(Path.ChangeExtension(output, ".c"), body) };
        args.AddRange((link ?? []).Select(P));
        args.AddRange(extra ?? []);
        Gcc([.. args]);
    }

    private void Exe(string output, string calls, string[] link, params string[] extra)
    {
        var args = new List<string> { "-O0", "-o", P(output),
            Source(output + ".c", $"int {calls}(void); int main(void){{return {calls}();}}"), "-Wl,--no-as-needed" };
        args.AddRange(link.Select(P));
        args.AddRange(extra);
        Gcc([.. args]);
    }

    private string Source(string relative, string text)
    {
        var path = P(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text + "\n");
        return path;
    }

    /// <summary>bad/<paramref name="kind"/>/libtop.so: <paramref name="original"/> with the bytes at the given offsets changed.</summary>
    private void Bad(string kind, byte[] original, params (int Offset, byte Value)[] changes)
    {
        var bytes = (byte[])original.Clone();
        foreach (var (offset, value) in changes)
        {
            bytes[offset] = value;
            if (offset == 20) Array.Clear(bytes, 20, 4); // e_version is 4 bytes
        }
        Directory.CreateDirectory(P($"bad/{kind}"));
        File.WriteAllBytes(P($"bad/{kind}/libtop.so"), bytes);
    }

    private void Patched(string output, string from, int offset, byte value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(P(output))!);
        var bytes = File.ReadAllBytes(from);
        bytes[offset] = value;
        File.WriteAllBytes(P(output), bytes);
    }

    private void Gcc(params string[] args) => GccIn(Dir, args);

    private static void GccIn(string workingDirectory, params string[] args)
    {
        var output = args.SkipWhile(a => a != "-o").Skip(1).FirstOrDefault();
        if (output is not null && Path.GetDirectoryName(Path.GetFullPath(output, workingDirectory)) is { } dir)
            Directory.CreateDirectory(dir);
        var (rc, _, stderr) = Run("gcc", args, workingDirectory);
        if (rc != 0) throw new InvalidOperationException($"gcc {string.Join(' ', args)} failed: {stderr}");
    }

    /// <summary>Turns the DT_DEBUG entry of <paramref name="exe"/> into a DT_RUNPATH pointing <paramref name="skip"/> characters into its DT_RPATH string.</summary>
    private static void AddRunPathFromDebug(string exe, int skip) => AddRunPath(exe, skip, 21);

    /// <summary>
    /// Gives <paramref name="file"/> a DT_RUNPATH beside its DT_RPATH (ld writes only one of them): the
    /// first dynamic entry with one of <paramref name="spareTags"/> becomes a DT_RUNPATH pointing
    /// <paramref name="skip"/> characters into the DT_RPATH string.
    /// </summary>
    public static void AddRunPath(string file, int skip, params long[] spareTags)
    {
        var bytes = File.ReadAllBytes(file);
        var (offset, size) = DynamicSegment(bytes);
        int? spare = null;
        ulong? rpath = null;
        for (var at = offset; at + 16 <= offset + size; at += 16)
        {
            var tag = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at));
            if (spare is null && spareTags.Contains(tag)) spare = at;
            if (tag == 15) rpath = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at + 8));
            if (tag == 0) break;
        }
        if (spare is null || rpath is null) throw new InvalidOperationException($"{file}: no DT_RPATH or no entry tagged {string.Join(" or ", spareTags)} to patch");
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(spare.Value), 29);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(spare.Value + 8), rpath.Value + (ulong)skip);
        File.WriteAllBytes(file, bytes);
    }

    /// <summary>File offset and size of PT_DYNAMIC in a 64-bit little-endian ELF image.</summary>
    public static (int Offset, int Size) DynamicSegment(byte[] bytes)
    {
        var phoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(32));
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(56));
        for (var i = 0; i < phnum; i++)
        {
            var ph = bytes.AsSpan(phoff + i * 56);
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) == 2)
                return ((int)BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]), (int)BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]));
        }
        throw new InvalidOperationException("no PT_DYNAMIC");
    }

    /// <summary>Runs a program and returns its exit code and output.</summary>
    public static (int ExitCode, string StdOut, string StdErr) Run(string program, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("LD_LIBRARY_PATH");
        info.Environment.Remove("LD_PRELOAD");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }
}
