using System.Collections.Concurrent;
using TinyImage.Tests.Corpus;
using TinyImage.Tests.Elf;

namespace TinyImage.Tests.Differential;

/// <summary>
/// Builds <see cref="DependencyGraph"/>s with gcc. What graphs share is made once: one object file
/// per id (a library constructor or an executable entry point printing <c>tinyimage-id-N</c>, with
/// raw system calls, so nothing needs libc), one link stub per DT_NEEDED string (an empty library
/// with that SONAME, so every object links on its own, in parallel, whatever it needs), and the
/// decoy files. Each graph object is then one <c>gcc -nostdlib</c> link.
/// </summary>
public sealed class GraphBuilder
{
    private const string Version = "graph-builder 1";
    private readonly string _shared;
    private readonly Dictionary<string, string> _stubs = new(StringComparer.Ordinal);

    public GraphBuilder(string workDirectory)
    {
        _shared = Path.Combine(workDirectory, "shared");
    }

    /// <summary>How many gcc processes run at once.</summary>
    public int Parallelism { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>
    /// Builds every graph unless <paramref name="manifest"/> already holds exactly these graphs (a
    /// kept directory from an earlier run); returns true when it built them.
    /// </summary>
    public bool Build(IReadOnlyList<DependencyGraph> graphs, string manifest)
    {
        var description = Version + "\n" + string.Concat(graphs.Select(g => g.Describe()));
        if (File.Exists(manifest) && File.ReadAllText(manifest) == description)
            return false;
        File.Delete(manifest);
        foreach (var g in graphs)
            if (Directory.Exists(g.Directory)) Directory.Delete(g.Directory, recursive: true);
        if (Directory.Exists(_shared)) Directory.Delete(_shared, recursive: true);

        Prepare();
        var jobs = graphs.SelectMany(g => g.Objects.Select(o => (Graph: g, Object: o))).ToList();
        var failures = new ConcurrentBag<string>();
        Parallel.ForEach(jobs, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, job =>
        {
            try
            {
                Link(job.Graph, job.Object);
            }
            catch (InvalidOperationException e)
            {
                failures.Add($"graph {job.Graph.Index}: {e.Message}");
            }
        });
        if (!failures.IsEmpty) throw new InvalidOperationException(string.Join("\n", failures.Take(5)));

        foreach (var g in graphs)
        {
            foreach (var (path, target) in g.Links)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(g.HostPath(path))!);
                File.CreateSymbolicLink(g.HostPath(path), target);
            }
            foreach (var (path, kind) in g.Decoys)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(g.HostPath(path))!);
                File.Copy(Path.Combine(_shared, $"decoy-{kind}"), g.HostPath(path));
            }
        }
        File.WriteAllText(manifest, description);
        return true;
    }

    private void Prepare()
    {
        Directory.CreateDirectory(_shared);
        var compiles = new List<string[]>();
        for (var id = 0; id < GraphGenerator.MaxObjects; id++)
        {
            File.WriteAllText(Shared($"lib-{id}.c"), $$"""
                static const char message[] = "tinyimage-id-{{id}}\n";
                __attribute__((constructor)) static void say_who_i_am(void)
                {
                    long rc;
                    __asm__ volatile ("syscall" : "=a"(rc) : "a"(1L), "D"(1L), "S"(message), "d"(sizeof message - 1) : "rcx", "r11", "memory");
                }
                """);
            File.WriteAllText(Shared($"exe-{id}.c"), $$"""
                static const char message[] = "tinyimage-id-{{id}}\n";
                void _start(void)
                {
                    long rc;
                    __asm__ volatile ("syscall" : "=a"(rc) : "a"(1L), "D"(1L), "S"(message), "d"(sizeof message - 1) : "rcx", "r11", "memory");
                    __asm__ volatile ("syscall" : : "a"(60L), "D"(0L) : "rcx", "r11", "memory");
                    for (;;) {}
                }
                """);
            compiles.Add(["-O0", "-fPIC", "-c", "-o", Shared($"lib-{id}.o"), Shared($"lib-{id}.c")]);
            compiles.Add(["-O0", "-fPIC", "-c", "-o", Shared($"exe-{id}.o"), Shared($"exe-{id}.c")]);
        }
        Parallel.ForEach(compiles, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, args => Gcc(args));

        var names = GraphGenerator.AllNeededNames;
        for (var i = 0; i < names.Count; i++) _stubs[names[i]] = Shared($"stub-{i}.so");
        Parallel.ForEach(names, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, name =>
            Gcc("-shared", "-nostdlib", "-o", _stubs[name], $"-Wl,-soname,{name}", Shared("lib-0.o")));

        // A real 32-bit library where gcc -m32 can link one (no libgcc is needed with -nostdlib); else EI_CLASS patched.
        var wrongClass = Shared($"decoy-{DecoyKind.WrongClass}");
        var (rc, _, _) = LoaderOracle.Run("gcc", ["-m32", "-shared", "-nostdlib", "-fPIC", "-o", wrongClass, Shared("lib-0.c")]);
        if (rc != 0) Patch(_stubs[GraphGenerator.Name(0)], wrongClass, 4, 1);
        Patch(_stubs[GraphGenerator.Name(0)], Shared($"decoy-{DecoyKind.WrongMachine}"), 18, 183);
        File.WriteAllText(Shared($"decoy-{DecoyKind.NotElf}"), "not a library: text long enough for ld.so to read a whole ELF header and refuse it\n");
    }

    private void Link(DependencyGraph graph, GraphObject o)
    {
        var output = graph.HostPath(o.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var args = new List<string> { "-nostdlib", "-o", output, Shared($"{(o.IsExecutable ? "exe" : "lib")}-{o.Id}.o") };
        if (!o.IsExecutable) args.Add("-shared");
        if (o.Soname is not null) args.Add($"-Wl,-soname,{o.Soname}");
        args.Add("-Wl,--no-as-needed");
        args.AddRange(o.Needed.Select(n => _stubs[n]));
        var both = o.RPath.Count > 0 && o.RunPath.Count > 0;
        if (both)
        {
            // ld writes one of the two tags; DT_BIND_NOW (from -z now) is turned into a DT_RUNPATH pointing into the RPATH string.
            args.AddRange(["-Wl,--disable-new-dtags", $"-Wl,-rpath,{string.Join(':', o.RPath.Concat(o.RunPath))}", "-Wl,-z,now"]);
        }
        else if (o.RPath.Count > 0) args.AddRange(["-Wl,--disable-new-dtags", $"-Wl,-rpath,{string.Join(':', o.RPath)}"]);
        else if (o.RunPath.Count > 0) args.AddRange(["-Wl,--enable-new-dtags", $"-Wl,-rpath,{string.Join(':', o.RunPath)}"]);
        if (o.NoDefaultLib) args.Add("-Wl,-z,nodefaultlib");
        Gcc([.. args]);
        if (both) ElfFixture.AddRunPath(output, string.Join(':', o.RPath).Length + 1, 24, 30); // DT_BIND_NOW or DT_FLAGS
    }

    private static void Patch(string from, string to, int offset, byte value)
    {
        var bytes = File.ReadAllBytes(from);
        bytes[offset] = value;
        File.WriteAllBytes(to, bytes);
    }

    private string Shared(string name) => Path.Combine(_shared, name);

    private static void Gcc(params string[] args)
    {
        var (rc, _, stderr) = LoaderOracle.Run("gcc", args);
        if (rc != 0) throw new InvalidOperationException($"gcc {string.Join(' ', args)} failed ({rc}): {stderr}");
    }
}
