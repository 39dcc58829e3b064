using System.Diagnostics;
using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Tests.Corpus;
using Xunit.Abstractions;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Structure-aware fuzzing of the ELF reader and the resolver (<see cref="ElfMutator"/>, fixed
/// seed) on real ELF files: a 64-bit executable and libraries of the host, and small 64-bit and
/// 32-bit files built with gcc carrying SONAME, RPATH, RUNPATH, NEEDED and NODEFLIB. Every input
/// gives a result or a <see cref="TinyImageException"/>, never another exception; none takes longer
/// than <see cref="HangBound"/> (a watchdog, which only a hang trips); and no read allocates more
/// than <see cref="AllocationBound"/> beyond twice the file's size, whatever sizes its headers claim.
/// TINYIMAGE_FUZZ_ITERATIONS sets the number of inputs (default <see cref="DefaultIterations"/>; the
/// closing note's run used 100,000), TINYIMAGE_FUZZ_SEED the seed.
/// </summary>
public sealed class ElfFuzzTests(ITestOutputHelper output)
{
    public const int DefaultIterations = 5000;
    private const int DefaultSeed = 20240611;
    private const long AllocationBound = 4 << 20;
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(30);
    private static readonly string[] HostSeeds = ["/usr/bin/true", "/usr/bin/ls", "/usr/lib/x86_64-linux-gnu/libselinux.so.1"];

    [Fact]
    public async Task MutatedElfFilesGiveAResultOrACleanError()
    {
        foreach (var seed in HostSeeds) Assert.True(File.Exists(seed), $"{seed} is missing: the fuzz test needs a Debian x86_64 host");
        var iterations = Setting("TINYIMAGE_FUZZ_ITERATIONS", DefaultIterations);
        var randomSeed = Setting("TINYIMAGE_FUZZ_SEED", DefaultSeed);
        var dir = Directory.CreateTempSubdirectory("tinyimage-fuzz-").FullName;
        try
        {
            var seeds = HostSeeds.Select(s => (Name: s, Bytes: File.ReadAllBytes(s))).Concat(BuildSeeds(dir)).ToList();
            var state = new FuzzState(Path.Combine(dir, "input"));
            var clock = Stopwatch.StartNew();
            var fuzz = Task.Run(() => Fuzz(seeds, iterations, randomSeed, state));
            while (await Task.WhenAny(fuzz, Task.Delay(250)) != fuzz)
            {
                if (state.CurrentElapsed > HangBound)
                {
                    var kept = Path.Combine(Path.GetTempPath(), $"tinyimage-fuzz-hang-{Guid.NewGuid():N}");
                    File.Copy(state.Path, kept);
                    throw new Xunit.Sdk.XunitException($"input {state.Index} ({state.How}) took over {HangBound.TotalSeconds} s (a hang); kept as {kept}");
                }
            }
            await fuzz;

            output.WriteLine($"{state.Inputs} inputs from {seeds.Count} ELF files ({string.Join(", ", seeds.Select(s => Path.GetFileName(s.Name)))}), seed {randomSeed}, " +
                             $"in {clock.Elapsed.TotalSeconds:F1} s: ElfReader read {state.Read} and rejected {state.Rejected} with TinyImageException; " +
                             $"the resolver resolved {state.Resolved}; {state.Failures.Count} crashes");
            output.WriteLine("mutations: " + string.Join(", ", ElfMutator.Kinds.Select((k, i) => $"{k} {state.KindCounts[i]}")));
            output.WriteLine($"largest allocation of one read: {state.MaxAllocation / 1024} KiB (for a {state.MaxAllocationLength / 1024} KiB file); " +
                             $"slowest input: {state.Slowest.TotalMilliseconds:F0} ms; peak RSS of the test process: {PeakRssKiB() / 1024} MiB");
            Assert.True(state.Failures.Count == 0, string.Join("\n", state.Failures.Take(20)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Fuzz(List<(string Name, byte[] Bytes)> seeds, int iterations, int randomSeed, FuzzState state)
    {
        var random = new Random(randomSeed);
        var mutators = seeds.Select(s => new ElfMutator(s.Bytes)).ToList();
        var resolver = new LibraryResolver(new ResolverOptions { LdSoConf = null });
        for (var i = 0; i < iterations; i++)
        {
            var which = i % seeds.Count;
            var (bytes, kinds, how) = mutators[which].Mutate(random);
            foreach (var k in kinds) state.KindCounts[k]++;
            var name = Path.GetFileName(seeds[which].Name);
            state.Start(i, $"{name}: {how}");
            File.WriteAllBytes(state.Path, bytes);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                ElfReader.Read(state.Path);
                state.Read++;
            }
            catch (TinyImageException)
            {
                state.Rejected++;
            }
            catch (Exception e)
            {
                state.Failures.Add($"ElfReader on {name} ({how}): {e.GetType().Name}: {e.Message}");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > state.MaxAllocation) (state.MaxAllocation, state.MaxAllocationLength) = (allocated, bytes.Length);
            if (allocated > AllocationBound + 2L * bytes.Length)
                state.Failures.Add($"ElfReader on {name} ({how}) allocated {allocated} bytes for a {bytes.Length}-byte file");
            try
            {
                resolver.Resolve([state.Path]);
                state.Resolved++;
            }
            catch (TinyImageException)
            {
            }
            catch (Exception e)
            {
                state.Failures.Add($"resolver on {name} ({how}): {e.GetType().Name}: {e.Message}");
            }
            state.Finish();
        }
    }

    /// <summary>Small ELF files with every dynamic tag the reader follows: a 64-bit library, and 32-bit ones where gcc -m32 links.</summary>
    private static IEnumerable<(string Name, byte[] Bytes)> BuildSeeds(string dir)
    {
        var source = Path.Combine(dir, "seed.c");
        File.WriteAllText(source, "int seed_value(void) { return 7; }\nvoid _start(void) { for (;;) {} }\n");
        var tags = new[] { "-Wl,-soname,libseed.so.1", "-Wl,-z,nodefaultlib", "-Wl,-rpath,$ORIGIN/../lib:/opt/seed/$LIB" };
        var builds = new List<(string Output, string[] Args)>
        {
            ("seed64-runpath.so", ["-shared", "-Wl,--enable-new-dtags", .. tags, "-Wl,--no-as-needed", "/usr/lib/x86_64-linux-gnu/libm.so.6"]),
            ("seed64-rpath.so", ["-shared", "-Wl,--disable-new-dtags", .. tags, "-Wl,--no-as-needed", "/usr/lib/x86_64-linux-gnu/libm.so.6"]),
            ("seed32.so", ["-m32", "-shared", "-Wl,--enable-new-dtags", .. tags]),
            ("seed32-pie", ["-m32", "-pie", "-Wl,--disable-new-dtags", .. tags]),
        };
        foreach (var (name, args) in builds)
        {
            var file = Path.Combine(dir, name);
            var (rc, _, stderr) = LoaderOracle.Run("gcc", ["-nostdlib", "-fPIC", "-o", file, source, .. args]);
            if (rc == 0) yield return (name, File.ReadAllBytes(file));
            else if (!name.StartsWith("seed32", StringComparison.Ordinal)) throw new InvalidOperationException($"gcc {name} failed: {stderr}");
        }
    }

    private static long PeakRssKiB()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]);
    }

    private static int Setting(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? int.TryParse(value, out var n) && n > 0 ? n : throw new InvalidOperationException($"{name}={value}: expected a positive number")
            : fallback;

    /// <summary>Counts and the input under test, shared with the watchdog.</summary>
    private sealed class FuzzState(string path)
    {
        private long _startedTicks;
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public string Path { get; } = path;
        public int Index { get; private set; }
        public string How { get; private set; } = "";
        public int Inputs { get; private set; }
        public int Read { get; set; }
        public int Rejected { get; set; }
        public int Resolved { get; set; }
        public long MaxAllocation { get; set; }
        public int MaxAllocationLength { get; set; }
        public TimeSpan Slowest { get; private set; }
        public int[] KindCounts { get; } = new int[ElfMutator.Kinds.Length];
        public List<string> Failures { get; } = [];

        /// <summary>How long the current input has run; zero between inputs.</summary>
        public TimeSpan CurrentElapsed
        {
            get
            {
                var started = Interlocked.Read(ref _startedTicks);
                return started == 0 ? TimeSpan.Zero : _clock.Elapsed - TimeSpan.FromTicks(started);
            }
        }

        public void Start(int index, string how)
        {
            (Index, How) = (index, how);
            Interlocked.Exchange(ref _startedTicks, Math.Max(1, _clock.Elapsed.Ticks));
        }

        public void Finish()
        {
            var elapsed = CurrentElapsed;
            if (elapsed > Slowest) Slowest = elapsed;
            Inputs++;
            Interlocked.Exchange(ref _startedTicks, 0);
        }
    }
}
