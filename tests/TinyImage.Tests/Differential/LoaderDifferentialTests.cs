using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using TinyImage.Core.Elf;
using TinyImage.Tests.Corpus;
using Xunit.Abstractions;

namespace TinyImage.Tests.Differential;

/// <summary>
/// Random dependency graphs (<see cref="GraphGenerator"/>, fixed seed), built with gcc, resolved by
/// us and listed by the host's real loader (<c>ld.so --list</c>, no LD_* variables): the same paths,
/// the same real files, or both failing at the same library. Each executable is also run: it prints
/// the id of every library whose constructor ran, which must be the files our closure names.
/// TINYIMAGE_DIFF_GRAPHS sets the number of graphs (default <see cref="DefaultGraphs"/>),
/// TINYIMAGE_DIFF_SEED the seed, and TINYIMAGE_DIFF_DIR a directory to build in and keep, reused by a
/// later run with the same graphs (for mutation testing, where only our side changes).
/// </summary>
public sealed class LoaderDifferentialTests(ITestOutputHelper output)
{
    public const int DefaultGraphs = 200;
    private const int DefaultSeed = 20251129;

    [Fact]
    public void RandomGraphsResolveAsTheRealLoaderLoadsThem()
    {
        Assert.True(File.Exists(LoaderOracle.DefaultInterpreter), $"{LoaderOracle.DefaultInterpreter} is missing: the differential test needs a glibc x86_64 host");
        var count = Setting("TINYIMAGE_DIFF_GRAPHS", DefaultGraphs);
        var seed = Setting("TINYIMAGE_DIFF_SEED", DefaultSeed);
        var kept = Environment.GetEnvironmentVariable("TINYIMAGE_DIFF_DIR");
        var dir = kept is { Length: > 0 } ? Path.GetFullPath(kept) : Directory.CreateTempSubdirectory("tinyimage-diff-").FullName;
        try
        {
            Directory.CreateDirectory(dir);
            var clock = Stopwatch.StartNew();
            var graphs = Enumerable.Range(0, count).Select(i => GraphGenerator.Generate(seed, i, Path.Combine(dir, $"g{i}"))).ToList();
            var built = new GraphBuilder(dir).Build(graphs, Path.Combine(dir, "manifest.txt"));
            var buildTime = clock.Elapsed;

            var resolver = new LibraryResolver();
            var files = resolver.Options.Files;
            var differences = new ConcurrentBag<string>();
            var verdicts = new ConcurrentBag<LoaderVerdict>();
            var rules = new ConcurrentBag<SearchRule>();
            var cases = graphs.SelectMany(g => g.Executables.Select(e => (Graph: g, Executable: e))).ToList();
            Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
            {
                var exe = c.Graph.HostPath(c.Executable.Path);
                var oracle = Cached(c.Graph, c.Executable, "list", () => LoaderOracle.Run(LoaderOracle.DefaultInterpreter, ["--list", exe]));
                var listing = LoaderOracle.Parse(oracle.ExitCode, oracle.StdOut, oracle.StdErr, LoaderOracle.DefaultInterpreter);
                var run = Cached(c.Graph, c.Executable, "run", () => LoaderOracle.Run(exe, []));
                var (closure, error) = LoaderComparison.Resolve(resolver, exe);
                verdicts.Add(listing.Verdict);
                foreach (var f in closure?.Files ?? []) rules.Add(f.Rule);
                var difference = LoaderComparison.Compare(exe, listing, closure, error, files) ?? CompareRun(c.Graph, c.Executable, listing, closure, run);
                if (difference is not null) differences.Add($"{difference}\n{c.Graph.Describe()}");
            });

            var failed = verdicts.Count(v => v == LoaderVerdict.Failed);
            output.WriteLine($"{graphs.Count} graphs (seed {seed}), {graphs.Sum(g => g.Objects.Count)} objects, {cases.Count} executables: " +
                             $"the loader loads {cases.Count - failed} and refuses {failed}; {(built ? "built" : "reused")} in {buildTime.TotalSeconds:F1} s, " +
                             $"compared in {(clock.Elapsed - buildTime).TotalSeconds:F1} s");
            output.WriteLine("graph features: " + Features(graphs));
            output.WriteLine("our closures found libraries by: " +
                             string.Join(", ", rules.GroupBy(r => r).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
            output.WriteLine($"{differences.Count} differences from the real loader");
            var sorted = differences.Order(StringComparer.Ordinal).ToList();
            Assert.True(sorted.Count == 0, $"{sorted.Count} of {cases.Count} executables differ from ld.so --list or their run:\n{string.Join("\n", sorted.Take(10))}");
        }
        finally
        {
            if (kept is not { Length: > 0 })
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Null when the run agrees: a program the loader loads exits 0 having printed exactly the ids of
    /// the graph's files in our closure (and its own); one the loader refuses does not start.
    /// </summary>
    private static string? CompareRun(DependencyGraph graph, GraphObject executable, LoaderOracle listing, Closure? closure, Run run)
    {
        var exe = graph.HostPath(executable.Path);
        if (closure is null)
            return run.ExitCode != 0 ? null : $"{exe}: the loader refuses it in --list mode, but it runs: {run.StdOut}";
        var ids = graph.Objects.Where(o => !o.IsExecutable)
            .ToDictionary(o => HostRealPath.Of(graph.HostPath(o.Path))!, o => o.Id, StringComparer.Ordinal);
        var expected = closure.Files.Select(f => HostRealPath.Of(f.Path))
            .Where(p => p is not null && ids.ContainsKey(p)).Select(p => ids[p!])
            .Append(executable.Id).Order().ToList();
        var printed = run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.StartsWith("tinyimage-id-", StringComparison.Ordinal) && int.TryParse(l["tinyimage-id-".Length..], out var id) ? id : -1)
            .Order().ToList();
        if (run.ExitCode == 0 && printed.SequenceEqual(expected)) return null;
        return $"{exe}: ran with exit code {run.ExitCode} and loaded ids [{string.Join(", ", printed)}], our closure gives [{string.Join(", ", expected)}] " +
               $"(loader verdict {listing.Verdict}): {run.StdErr.Trim()}";
    }

    private static string Features(IReadOnlyList<DependencyGraph> graphs)
    {
        var objects = graphs.SelectMany(g => g.Objects).ToList();
        var libraries = objects.Where(o => !o.IsExecutable).ToList();
        var executables = objects.Where(o => o.IsExecutable).ToList();
        int Count(IEnumerable<GraphObject> os, Func<GraphObject, bool> f) => os.Count(f);
        static bool Both(GraphObject o) => o.RPath.Count > 0 && o.RunPath.Count > 0;
        var clashes = graphs.Sum(g => g.Objects.Where(o => !o.IsExecutable).GroupBy(o => o.Soname ?? Path.GetFileName(o.Path)).Count(s => s.Count() > 1));
        return $"{libraries.Count} libraries ({Count(libraries, o => o.RPath.Count > 0 && o.RunPath.Count == 0)} RPATH only, " +
               $"{Count(libraries, o => o.RunPath.Count > 0 && o.RPath.Count == 0)} RUNPATH only, {Count(libraries, Both)} both, " +
               $"{Count(libraries, o => o.NoDefaultLib)} NODEFLIB, {Count(libraries, o => o.Soname is null)} without SONAME, " +
               $"{Count(libraries, o => GraphGenerator.IsInSubdirectory(o.Path))} in hwcaps subdirectories), " +
               $"{executables.Count} executables ({Count(executables, o => o.RPath.Count > 0 && o.RunPath.Count == 0)} RPATH only, " +
               $"{Count(executables, o => o.RunPath.Count > 0 && o.RPath.Count == 0)} RUNPATH only, {Count(executables, Both)} both, " +
               $"{Count(executables, o => o.NoDefaultLib)} NODEFLIB), {clashes} SONAME clashes, " +
               $"{Count(objects, o => o.RPath.Concat(o.RunPath).Any(e => e.Contains("ORIGIN", StringComparison.Ordinal)))} objects with $ORIGIN paths, " +
               $"{Count(objects, o => o.Needed.Any(n => n.Contains('/')))} with $ORIGIN in DT_NEEDED, " +
               $"{graphs.Sum(g => g.Links.Count)} symlinked libraries, " +
               string.Join(", ", graphs.SelectMany(g => g.Decoys).GroupBy(d => d.Kind).OrderBy(d => d.Key).Select(d => $"{d.Count()} {d.Key} decoys"));
    }

    /// <summary>
    /// Runs <paramref name="run"/>, or reads its result from the graph's kept directory when it was
    /// recorded there for the same build (the loader and the binaries have not changed).
    /// </summary>
    private static Run Cached(DependencyGraph graph, GraphObject executable, string what, Func<(int ExitCode, string StdOut, string StdErr)> run)
    {
        var file = Path.Combine(graph.Directory, ".oracle", executable.Path.Replace('/', '_') + "." + what + ".json");
        if (File.Exists(file)) return JsonSerializer.Deserialize<Run>(File.ReadAllText(file))!;
        var (rc, stdout, stderr) = run();
        var result = new Run(rc, stdout, stderr);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, JsonSerializer.Serialize(result));
        return result;
    }

    private static int Setting(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? int.TryParse(value, out var n) && n > 0 ? n : throw new InvalidOperationException($"{name}={value}: expected a positive number")
            : fallback;

    /// <summary>A process's exit code and output.</summary>
    private sealed record Run(int ExitCode, string StdOut, string StdErr);
}
