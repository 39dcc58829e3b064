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
            if (Compare(entry, oracle, resolver, files) is { } difference) differences.Add(difference);
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

    /// <summary>Null when our resolver agrees with the loader on <paramref name="entry"/>; otherwise a one-line description.</summary>
    private static string? Compare(string entry, LoaderOracle oracle, LibraryResolver resolver, HostFiles files)
    {
        Closure closure;
        try
        {
            closure = resolver.Resolve([entry]);
        }
        catch (TinyImageException e)
        {
            return oracle.Verdict == LoaderVerdict.Failed
                ? null
                : $"{entry}: we fail ({e.Message}) but the loader {Describe(oracle)}";
        }
        catch (Exception e)
        {
            return $"{entry}: our resolver crashed with {e.GetType().Name}: {e.Message}";
        }

        var ours = closure.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        switch (oracle.Verdict)
        {
            case LoaderVerdict.Failed:
                return $"{entry}: the loader fails ({OneLine(oracle.Output)}) but we found [{string.Join(", ", ours)}]";
            case LoaderVerdict.Static:
                return ours.Count == 0 && closure.Roots[0].IsStatic ? null : $"{entry}: static for the loader, but we found [{string.Join(", ", ours)}]";
        }

        if (closure.Roots[0].IsStatic) return $"{entry}: we say static, the loader loads [{string.Join(", ", oracle.Paths)}]";
        var problems = new List<string>();
        if (!ours.SetEquals(oracle.Paths))
        {
            problems.Add($"paths: only ours [{string.Join(", ", ours.Except(oracle.Paths).Order(StringComparer.Ordinal))}], " +
                         $"only the loader's [{string.Join(", ", oracle.Paths.Except(ours).Order(StringComparer.Ordinal))}]");
        }
        var ourReal = closure.Files.Select(f => files.Resolve(f.Path)?.RealPath ?? "(missing) " + f.Path).ToHashSet(StringComparer.Ordinal);
        var loaderReal = oracle.Paths.Select(p => HostRealPath.Of(p) ?? "(missing) " + p).ToHashSet(StringComparer.Ordinal);
        if (!ourReal.SetEquals(loaderReal))
        {
            problems.Add($"real files: only ours [{string.Join(", ", ourReal.Except(loaderReal).Order(StringComparer.Ordinal))}], " +
                         $"only the loader's [{string.Join(", ", loaderReal.Except(ourReal).Order(StringComparer.Ordinal))}]");
        }
        if (closure.Files.Count != ours.Count) problems.Add("a path is listed twice");
        return problems.Count == 0 ? null : $"{entry}: {string.Join("; ", problems)}";
    }

    private static string Describe(LoaderOracle oracle) => oracle.Verdict switch
    {
        LoaderVerdict.Static => "says it is static",
        _ => $"loads [{string.Join(", ", oracle.Paths.Order(StringComparer.Ordinal))}]",
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" | ");
}
