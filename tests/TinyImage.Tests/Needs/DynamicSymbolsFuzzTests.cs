using TinyImage.Core;
using TinyImage.Core.Elf;
using TinyImage.Tests.Elf;
using Xunit.Abstractions;

namespace TinyImage.Tests.Needs;

/// <summary>
/// <see cref="ElfReader.ReadImports"/> and <see cref="ElfReader.ReadStrings"/> on mutated host files (<see cref="ElfMutator"/>,
/// fixed seed): every input gives a result or a <see cref="TinyImageException"/>, and no read allocates more than a bound
/// beyond twice the file's size, whatever counts and offsets its dynamic segment claims.
/// </summary>
public sealed class DynamicSymbolsFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 3000;
    private const long AllocationBound = 8 << 20;
    private static readonly string[] Seeds = ["/usr/bin/true", "/usr/bin/ssh", "/usr/lib/x86_64-linux-gnu/libselinux.so.1"];

    [Fact]
    public void MutatedFilesGiveImportsOrACleanError()
    {
        foreach (var seed in Seeds) Assert.True(File.Exists(seed), $"{seed} is missing: the test needs a Debian x86_64 host with openssh-client");
        using var dir = new Integration.TempDirectory();
        var input = dir.Combine("input");
        var random = new Random(20261129);
        var mutators = Seeds.Select(s => new ElfMutator(File.ReadAllBytes(s))).ToList();
        var failures = new List<string>();
        int read = 0, rejected = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var (bytes, _, how) = mutators[i % mutators.Count].Mutate(random);
            File.WriteAllBytes(input, bytes);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                ElfReader.ReadImports(input);
                ElfReader.ReadStrings(input, s => s.Contains(".so", StringComparison.Ordinal), 100);
                read++;
            }
            catch (TinyImageException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetFileName(Seeds[i % Seeds.Length])} ({how}): {e.GetType().Name}: {e.Message}");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > AllocationBound + 2L * bytes.Length)
                failures.Add($"{Path.GetFileName(Seeds[i % Seeds.Length])} ({how}): allocated {allocated} bytes for a {bytes.Length}-byte file");
        }
        output.WriteLine($"{Iterations} inputs: {read} read, {rejected} rejected with TinyImageException, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }
}
