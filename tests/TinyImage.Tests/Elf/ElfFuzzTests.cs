using System.Buffers.Binary;
using System.Diagnostics;
using TinyImage.Core;
using TinyImage.Core.Elf;
using Xunit.Abstractions;

namespace TinyImage.Tests.Elf;

/// <summary>
/// Thousands of truncated and mutated copies of real ELF files (fixed seed): ElfReader and the
/// resolver give a result or a <see cref="TinyImageException"/>, never another exception or a hang.
/// </summary>
public sealed class ElfFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20240611;
    private const int InputsPerFile = 1200;
    private static readonly string[] Seeds = ["/usr/bin/true", "/usr/bin/ls", "/usr/lib/x86_64-linux-gnu/libselinux.so.1"];
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task MutatedElfFilesGiveAResultOrACleanError()
    {
        foreach (var seed in Seeds) Assert.True(File.Exists(seed), $"{seed} is missing: the fuzz test needs a Debian x86_64 host");
        var dir = Directory.CreateTempSubdirectory("tinyimage-fuzz-").FullName;
        try
        {
            (int, int, int, int, List<string>) result;
            try
            {
                result = await Task.Run(() => Fuzz(dir)).WaitAsync(Budget);
            }
            catch (TimeoutException)
            {
                throw new Xunit.Sdk.XunitException($"fuzzing did not finish within {Budget.TotalSeconds} s (a hang?); the last input is in {dir}");
            }
            var (inputs, read, errors, resolved, failures) = result;
            output.WriteLine($"{inputs} mutated inputs from {Seeds.Length} ELF files (seed {Seed}): ElfReader read {read}, " +
                             $"rejected {errors} with TinyImageException; the resolver resolved {resolved}; {failures.Count} crashes");
            Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Inputs, int Read, int Errors, int Resolved, List<string> Failures) Fuzz(string dir)
    {
        var random = new Random(Seed);
        var failures = new List<string>();
        int inputs = 0, read = 0, errors = 0, resolved = 0;
        var resolver = new LibraryResolver(new ResolverOptions { LdSoConf = null });
        foreach (var seed in Seeds)
        {
            var original = File.ReadAllBytes(seed);
            var path = Path.Combine(dir, Path.GetFileName(seed));
            for (var i = 0; i < InputsPerFile; i++)
            {
                var (bytes, how) = Mutate(original, random);
                File.WriteAllBytes(path, bytes);
                inputs++;
                var clock = Stopwatch.StartNew();
                try
                {
                    ElfReader.Read(path);
                    read++;
                }
                catch (TinyImageException)
                {
                    errors++;
                }
                catch (Exception e)
                {
                    failures.Add($"ElfReader on {Path.GetFileName(seed)} {how}: {e.GetType().Name}: {e.Message}");
                }
                try
                {
                    resolver.Resolve([path]);
                    resolved++;
                }
                catch (TinyImageException)
                {
                }
                catch (Exception e)
                {
                    failures.Add($"resolver on {Path.GetFileName(seed)} {how}: {e.GetType().Name}: {e.Message}");
                }
                if (clock.Elapsed > TimeSpan.FromSeconds(5)) failures.Add($"{Path.GetFileName(seed)} {how}: took {clock.Elapsed.TotalSeconds:F1} s");
            }
        }
        return (inputs, read, errors, resolved, failures);
    }

    /// <summary>One mutation: truncation, random bytes in the headers or anywhere, or an extreme value in a header or program-header field.</summary>
    private static (byte[] Bytes, string How) Mutate(byte[] original, Random random)
    {
        var kind = random.Next(5);
        switch (kind)
        {
            case 0:
            {
                var length = random.Next(2) == 0 ? random.Next(Math.Min(original.Length, 4096)) : random.Next(original.Length);
                return (original.AsSpan(0, length).ToArray(), $"truncated at {length}");
            }
            case 1:
            case 2:
            {
                var bytes = (byte[])original.Clone();
                var limit = kind == 1 ? Math.Min(bytes.Length, 4096) : bytes.Length;
                var count = 1 + random.Next(8);
                for (var j = 0; j < count; j++) bytes[random.Next(limit)] = (byte)random.Next(256);
                return (bytes, $"{count} random bytes in the first {limit}");
            }
            default:
            {
                var bytes = (byte[])original.Clone();
                var phoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(32));
                var phnum = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(56));
                // A field of the ELF header, or of a program header (offset, vaddr, filesz, ...).
                var at = kind == 3 ? 16 + 2 * random.Next(24) : phoff + 56 * random.Next(phnum) + 8 * random.Next(7);
                ulong[] values = [0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, ulong.MaxValue, long.MaxValue, (ulong)random.NextInt64(), (ulong)original.Length, (ulong)original.Length - 1];
                var value = values[random.Next(values.Length)];
                var width = kind == 3 && at < 24 || kind == 3 && at >= 48 ? 2 : 8;
                if (at + width > bytes.Length) width = 2;
                if (width == 2) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)value);
                else BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), value);
                return (bytes, $"0x{value:x} written at {at}");
            }
        }
    }
}
