using System.Collections.Concurrent;
using System.Diagnostics;
using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Core.FileSystem;
using Xunit.Abstractions;

namespace TinyImage.Tests.Corpus;

/// <summary>
/// Every ELF executable of the test machine's /usr/bin and /usr/sbin: our closure must be exactly
/// what glibc's ld.so loads (<c>ld.so --list</c>), both as the paths it opens and as real files;
/// where the loader refuses a file or misses a library, our resolver must fail too.
/// </summary>
public sealed class LoaderCorpusTests(ITestOutputHelper output)
{
    private static readonly string[] Directories = ["/usr/bin", "/usr/sbin"];

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

        Assert.True(verdicts.Count > 0, $"no ELF executable found in {string.Join(", ", Directories)}");
        Assert.True(sorted.Count == 0, $"{sorted.Count} of {verdicts.Count} executables differ from ld.so --list:\n{string.Join("\n", sorted)}");
    }

    /// <summary>An executable the kernel can start: ET_EXEC, or ET_DYN with PT_INTERP or without libraries (static-pie).</summary>
    private static bool IsExecutable(ElfInfo info) =>
        info.Type == ElfFileType.Executable ||
        (info.Type == ElfFileType.SharedObject && (info.Interpreter is not null || info.IsStatic));

}
