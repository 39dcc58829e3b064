using System.Collections.Concurrent;
using System.Diagnostics;
using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using Xunit.Abstractions;

namespace TinyImage.Tests.Corpus;

/// <summary>
/// Every ELF executable of the test machine's /usr/bin and /usr/sbin, and every shared library of
/// /usr/lib/x86_64-linux-gnu: our closure must be exactly what glibc's ld.so loads (<c>ld.so
/// --list</c>), both as the paths it opens and as real files; where the loader refuses a file or
/// misses a library, our resolver must fail too. With the test dependencies installed
/// (scripts/install-test-deps.sh) a Debian 12 machine has over a thousand executables and several
/// hundred libraries there; the floors make sure a bug that skips files cannot pass as agreement.
/// </summary>
public sealed class LoaderCorpusTests(ITestOutputHelper output)
{
    private static readonly string[] Directories = ["/usr/bin", "/usr/sbin"];
    private const string LibraryDirectory = "/usr/lib/x86_64-linux-gnu";
    private const int MinimumExecutables = 600;
    private const int MinimumLoadedExecutables = 500;
    private const int MinimumLibraries = 300;

    [Fact]
    public void ClosureOfEveryExecutableEqualsWhatTheLoaderLoads()
    {
        Assert.True(File.Exists(LoaderOracle.DefaultInterpreter), $"{LoaderOracle.DefaultInterpreter} is missing: the corpus test needs a glibc x86_64 host");
        var clock = Stopwatch.StartNew();
        var entries = Directories.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d))
            .Order(StringComparer.Ordinal)
            .ToList();

        var notFiles = new ConcurrentBag<string>();
        var notElf = new ConcurrentBag<string>();
        var notExecutables = new ConcurrentBag<string>();
        var differences = new ConcurrentBag<string>();
        var verdicts = new ConcurrentDictionary<string, LoaderVerdict>(StringComparer.Ordinal);
        var oracles = new ConcurrentDictionary<string, Lazy<LoaderOracle>>(StringComparer.Ordinal);
        var resolver = new LibraryResolver();
        var files = resolver.Options.Files;

        Parallel.ForEach(entries, new ParallelOptions { MaxDegreeOfParallelism = 2 }, entry =>
        {
            var real = HostRealPath.Of(entry);
            if (real is null || !File.Exists(real)) { notFiles.Add(entry); return; }
            if (!ElfReader.IsElf(real)) { notElf.Add(entry); return; }

            ElfInfo? info = null;
            try
            {
                info = ElfReader.Read(real);
            }
            catch (TinyImageException)
            {
                // Not readable by us: the loader must refuse it as well (checked below).
            }
            if (info is not null && !IsExecutable(info))
            {
                notExecutables.Add($"{entry} ({info.Type}{(info.Interpreter is null ? ", no PT_INTERP" : "")})");
                return;
            }

            var interpreter = info?.Interpreter is { } i && File.Exists(i) ? i : LoaderOracle.DefaultInterpreter;
            var oracle = oracles.GetOrAdd(real + "\n" + interpreter, _ => new Lazy<LoaderOracle>(() => LoaderOracle.List(real, interpreter))).Value;
            verdicts[entry] = oracle.Verdict;
            var (closure, error) = LoaderComparison.Resolve(resolver, entry);
            if (LoaderComparison.Compare(entry, oracle, closure, error, files) is { } difference) differences.Add(difference);
        });

        var counts = verdicts.Values.GroupBy(v => v).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}");
        output.WriteLine($"checked {verdicts.Count} ELF executables ({oracles.Count} distinct files) of {entries.Count} entries in {string.Join(" and ", Directories)}: {string.Join(", ", counts)}");
        output.WriteLine($"not checked: {notElf.Count} non-ELF files (scripts), {notFiles.Count} entries that are not files (dangling links, directories), {notExecutables.Count} ELF files that are not executables");
        foreach (var e in notExecutables.Order(StringComparer.Ordinal)) output.WriteLine($"  not an executable: {e}");
        foreach (var e in notFiles.Order(StringComparer.Ordinal)) output.WriteLine($"  not a file: {e}");
        foreach (var e in verdicts.Where(v => v.Value == LoaderVerdict.Failed).Select(v => v.Key).Order(StringComparer.Ordinal))
            output.WriteLine($"  the loader refuses (and so do we): {e}");
        output.WriteLine($"{differences.Count} differences from the real loader, in {clock.Elapsed.TotalSeconds:F1} s");
        var sorted = differences.Order(StringComparer.Ordinal).ToList();
        foreach (var d in sorted) output.WriteLine(d);

        Assert.True(verdicts.Count >= MinimumExecutables && verdicts.Values.Count(v => v == LoaderVerdict.Loaded) >= MinimumLoadedExecutables,
            $"only {verdicts.Count} ELF executables checked in {string.Join(", ", Directories)} ({verdicts.Values.Count(v => v == LoaderVerdict.Loaded)} with libraries); " +
            $"expected at least {MinimumExecutables} ({MinimumLoadedExecutables}): install the test dependencies (scripts/install-test-deps.sh)");
        Assert.True(sorted.Count == 0, $"{sorted.Count} of {verdicts.Count} executables differ from ld.so --list:\n{string.Join("\n", sorted)}");
    }

    private static bool HasInterpreter(string file)
    {
        try
        {
            return ElfReader.Read(file).Interpreter is not null;
        }
        catch (TinyImageException)
        {
            return false; // unreadable for us: the loader must refuse it too, which Compare checks
        }
    }

    /// <summary>An executable the kernel can start: ET_EXEC, or ET_DYN with PT_INTERP or without libraries (static-pie).</summary>
    private static bool IsExecutable(ElfInfo info) =>
        info.Type == ElfFileType.Executable ||
        (info.Type == ElfFileType.SharedObject && (info.Interpreter is not null || info.IsStatic));

    [Fact]
    public void ClosureOfEverySharedLibraryEqualsWhatTheLoaderLoads()
    {
        // ld.so --list works on a library too: it loads it as the main object, with its RPATH, RUNPATH and NODEFLIB.
        Assert.True(File.Exists(LoaderOracle.DefaultInterpreter), $"{LoaderOracle.DefaultInterpreter} is missing: the corpus test needs a glibc x86_64 host");
        var clock = Stopwatch.StartNew();
        var libraries = Directory.EnumerateFiles(LibraryDirectory, "*.so*")
            .Where(f => new FileInfo(f).LinkTarget is null && ElfReader.IsElf(f))
            .Order(StringComparer.Ordinal)
            .ToList();
        var resolver = new LibraryResolver();
        var differences = new ConcurrentBag<string>();
        var verdicts = new ConcurrentDictionary<string, LoaderVerdict>(StringComparer.Ordinal);
        Parallel.ForEach(libraries, new ParallelOptions { MaxDegreeOfParallelism = 2 }, library =>
        {
            var oracle = LoaderOracle.List(library, isLibrary: !HasInterpreter(library));
            verdicts[library] = oracle.Verdict;
            var (closure, error) = LoaderComparison.Resolve(resolver, library);
            if (LoaderComparison.Compare(library, oracle, closure, error, resolver.Options.Files, rootIsLibrary: true) is { } difference)
                differences.Add(difference);
        });

        var counts = verdicts.Values.GroupBy(v => v).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}");
        output.WriteLine($"checked {verdicts.Count} shared libraries in {LibraryDirectory}: {string.Join(", ", counts)}");
        foreach (var e in verdicts.Where(v => v.Value == LoaderVerdict.Failed).Select(v => v.Key).Order(StringComparer.Ordinal))
            output.WriteLine($"  the loader refuses (and so do we): {e}");
        output.WriteLine($"{differences.Count} differences from the real loader, in {clock.Elapsed.TotalSeconds:F1} s");
        var sorted = differences.Order(StringComparer.Ordinal).ToList();
        foreach (var d in sorted) output.WriteLine(d);

        Assert.True(verdicts.Count >= MinimumLibraries,
            $"only {verdicts.Count} shared libraries checked in {LibraryDirectory}; expected at least {MinimumLibraries}: install the test dependencies (scripts/install-test-deps.sh)");
        Assert.True(sorted.Count == 0, $"{sorted.Count} of {verdicts.Count} libraries differ from ld.so --list:\n{string.Join("\n", sorted)}");
    }
}
