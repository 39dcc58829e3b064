using System.Diagnostics;
using System.Globalization;
using System.Text;
using TinyImage.Core;
using TinyImage.Core.Debian;
using Xunit.Abstractions;

namespace TinyImage.Tests.Debian;

/// <summary>
/// Mutated Packages indexes and lock files give a result or a TinyImageException, never another exception. A fixed
/// seed and a small budget in CI; TINYIMAGE_FUZZ_ITERATIONS sets the count for a longer run.
/// </summary>
public sealed class DebianFuzzTests(ITestOutputHelper output)
{
    private const string Packages = """
        Package: app
        Version: 1:2.0~rc1-3+b1
        Architecture: amd64
        Multi-Arch: foreign
        Priority: optional
        Pre-Depends: libc6 (>= 2.34)
        Depends: libfoo1 (>= 1.2) | libfoo-alt, data:any, virt (>= 2) [amd64], gone [!amd64] <!nocheck>
        Recommends: extra
        Provides: app-virt (= 2.0), other
        Description: an app
         with a long description
         .
         and more
        Filename: pool/main/a/app/app_2.0~rc1-3+b1_amd64.deb
        Size: 1234
        SHA256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

        Package: libc6
        Version: 2.36-9+deb12u14
        Architecture: amd64
        Multi-Arch: same
        Filename: pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb
        Size: 2759320
        SHA256: ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf

        Package: libfoo1
        Version: 1.2
        Architecture: amd64
        Depends: libc6
        Filename: pool/main/libf/libfoo/libfoo1_1.2_amd64.deb
        Size: 10
        SHA256: 1111111111111111111111111111111111111111111111111111111111111111

        Package: data
        Version: 5
        Architecture: all
        Multi-Arch: allowed
        Provides: virt (= 3)
        Filename: pool/main/d/data/data_5_all.deb
        Size: 20
        SHA256: 2222222222222222222222222222222222222222222222222222222222222222
        """;

    private static int Iterations(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("TINYIMAGE_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ciDefault;

    [Fact]
    public void Mutated_Packages_indexes_never_crash_the_reader_or_the_resolver()
    {
        var seed = Encoding.UTF8.GetBytes(Packages.Replace("\r\n", "\n") + "\n");
        var sane = PackageIndex.Read(new MemoryStream(seed), "seed", "amd64");
        Assert.Equal(4, sane.Count);
        Assert.Equal(["app", "data", "libc6", "libfoo1"], new DependencyResolver(sane, "seed").Resolve(["app"], true).Select(p => p.Name));

        var random = new Random(20261129);
        var iterations = Iterations(3000);
        int parsed = 0, rejected = 0, resolved = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var input = Mutate(seed, random);
            try
            {
                ControlStanza.ReadAll(new MemoryStream(input), "fuzz");
                var index = PackageIndex.Read(new MemoryStream(input), "fuzz", "amd64");
                parsed++;
                foreach (var name in index.Names.Order(StringComparer.Ordinal).ToList())
                {
                    try
                    {
                        new DependencyResolver(index, "fuzz").Resolve([name], includeRecommends: i % 2 == 0);
                        resolved++;
                    }
                    catch (TinyImageException) { }
                }
            }
            catch (TinyImageException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} crashed with {e.GetType().Name}: {e.Message}\n{Encoding.UTF8.GetString(input)}");
            }
        }
        output.WriteLine($"{iterations} mutated indexes in {watch.ElapsedMilliseconds} ms: {parsed} read, {rejected} rejected, {resolved} resolutions; no crash");
    }

    [Fact]
    public void Mutated_lock_files_never_crash_the_reader_and_what_reads_round_trips()
    {
        var text = new PackageLockFile([PackageLockFileTests.Sample(), PackageLockFileTests.Sample("trixie", "arm64", "curl", "ca-certificates=1.0")]).ToText();
        var seed = Encoding.UTF8.GetBytes(text);
        var random = new Random(20261130);
        var iterations = Iterations(3000);
        int read = 0, rejected = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var input = Mutate(seed, random);
            string mutated;
            try
            {
                mutated = new UTF8Encoding(false, true).GetString(input);
            }
            catch (DecoderFallbackException)
            {
                continue; // Read refuses non-UTF-8 before parsing
            }
            try
            {
                var lockFile = PackageLockFile.Parse(mutated, "fuzz.tiny.lock");
                var again = PackageLockFile.Parse(lockFile.ToText(), "again.tiny.lock");
                Assert.Equal(lockFile.ToText(), again.ToText());
                read++;
            }
            catch (TinyImageException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                Assert.StartsWith("fuzz.tiny.lock", e.Message);
                rejected++;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"input {i} crashed with {e.GetType().Name}: {e.Message}\n{mutated}");
            }
        }
        output.WriteLine($"{iterations} mutated lock files in {watch.ElapsedMilliseconds} ms: {read} read, {rejected} rejected; no crash");
    }

    /// <summary>Byte flips, deletions, insertions of syntax characters, duplicated and dropped lines, truncation.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        const string syntax = ":\n \t,|()<>=[]!~-.#\r0aZ/";
        for (var n = random.Next(1, 6); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, (byte)syntax[random.Next(syntax.Length)]); break;
                case 3:
                    var start = bytes.LastIndexOf((byte)'\n', at) + 1;
                    var end = bytes.IndexOf((byte)'\n', at);
                    if (end > start) bytes.InsertRange(start, bytes.GetRange(start, end - start + 1));
                    break;
                case 4:
                    var from = bytes.LastIndexOf((byte)'\n', at) + 1;
                    var to = bytes.IndexOf((byte)'\n', at);
                    if (to > from) bytes.RemoveRange(from, to - from + 1);
                    break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return bytes.ToArray();
    }
}
