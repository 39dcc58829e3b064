using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Text;
using TinyImage.Core;
using TinyImage.Core.Images;
using TinyImage.Core.Sources;
using TinyImage.Tests.Integration;
using Xunit.Abstractions;

namespace TinyImage.Tests.Images;

/// <summary>
/// What base images bring is untrusted: mutated manifests, indexes, configs and layer tars give a result or one
/// TinyImageException line, never another exception. A fixed seed and a small budget in CI; TINYIMAGE_FUZZ_ITERATIONS
/// sets the count for a longer run.
/// </summary>
public sealed class BaseImageFuzzTests(ITestOutputHelper output)
{
    private const string Manifest = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","size":123},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":4567,"annotations":{"a":"b"}},{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":0}]}""";
    private const string Index = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","size":401,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444","size":401,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5555555555555555555555555555555555555555555555555555555555555555","size":9,"platform":{"architecture":"unknown","os":"unknown"}}]}""";
    private const string Config = """{"architecture":"amd64","os":"linux","config":{"User":"1000:1000","ExposedPorts":{"80/tcp":{}},"Env":["PATH=/usr/bin","EMPTY=","NOEQUALS"],"Entrypoint":["/bin/sh"],"Cmd":null,"WorkingDir":"/srv","Labels":{"k":"v"}},"rootfs":{"type":"layers","diff_ids":["sha256:6666666666666666666666666666666666666666666666666666666666666666"]},"history":[{"created_by":"x"}]}""";

    private static int Iterations(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("TINYIMAGE_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ciDefault;

    [Fact]
    public void Mutated_manifests_indexes_and_configs_never_crash_the_readers()
    {
        Assert.Equal(2, BaseImageDocuments.ReadManifest(Encoding.UTF8.GetBytes(Manifest), "seed").Layers.Count);
        Assert.Equal("v8", BaseImageDocuments.ReadIndex(Encoding.UTF8.GetBytes(Index), "seed")[1].Platform!.Variant);
        Assert.Equal("/srv", BaseImageDocuments.ReadConfig(Encoding.UTF8.GetBytes(Config), "seed").Config.WorkingDir);
        var random = new Random(20261129);
        var iterations = Iterations(3000);
        int read = 0, rejected = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var (seed, read1) = (i % 3) switch
            {
                0 => (Manifest, (Action<byte[]>)(b => BaseImageDocuments.ReadManifest(b, "fuzz"))),
                1 => (Index, b =>
                {
                    var index = BaseImageDocuments.ReadIndex(b, "fuzz");
                    try { PlatformChoice.Pick(index, Core.Spec.Platform.LinuxArm64, "fuzz"); }
                    catch (TinyImageException) { }
                }),
                _ => (Config, b => BaseImageDocuments.ReadConfig(b, "fuzz")),
            };
            var input = MutateJson(Encoding.UTF8.GetBytes(seed), random);
            try
            {
                PlatformChoice.IsIndex(null, input);
                read1(input);
                read++;
            }
            catch (TinyImageException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} crashed with {e.GetType().Name}: {e.Message}\n{Encoding.UTF8.GetString(input)}");
            }
        }
        output.WriteLine($"{iterations} mutated documents in {watch.ElapsedMilliseconds} ms: {read} read, {rejected} rejected; no crash");
    }

    [Fact]
    public async Task Mutated_layer_tars_never_crash_the_check()
    {
        var seed = TestLayout.Tar([
            new("etc/", TarEntryType.Directory), new("etc/motd", Content: "hello"), new("lib", TarEntryType.SymbolicLink, Target: "usr/lib"),
            new("usr/lib/", TarEntryType.Directory), new("usr/lib/a", Content: new string('a', 700)), new("usr/lib/b", TarEntryType.HardLink, Target: "usr/lib/a"),
            new(".wh.gone"), new("usr/.wh..wh..opq")]);
        using var dir = new TempDirectory();
        await File.WriteAllBytesAsync(dir.Combine("seed.tar"), seed);
        Assert.Equal(8, (await new BaseLayerCheck().CheckAsync(dir.Combine("seed.tar"), "seed", CancellationToken.None)).EntryCount);
        var random = new Random(20261130);
        var iterations = Iterations(300);
        int read = 0, rejected = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var input = MutateBytes(seed, random);
            var path = dir.Combine("layer");
            await File.WriteAllBytesAsync(path, i % 4 == 0 ? TestLayout.Gzip(input) : input);
            try
            {
                await new BaseLayerCheck(maxUncompressedSize: 1 << 20).CheckAsync(path, "fuzz", CancellationToken.None);
                read++;
            }
            catch (TinyImageException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} crashed with {e.GetType().Name}: {e.Message}");
            }
        }
        output.WriteLine($"{iterations} mutated layers in {watch.ElapsedMilliseconds} ms: {read} checked, {rejected} rejected; no crash");
    }

    /// <summary>A few mutations that keep JSON JSON-like: a byte changed, removed or duplicated, a token inserted, a cut.</summary>
    private static byte[] MutateJson(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        string[] tokens = ["{", "}", "[", "]", ",", ":", "\"", "null", "true", "-1", "1e999", "\"\\u0000\"", "{}", "[]", "\"sha256:\"", "9223372036854775808", "\"\\ud800\""];
        for (var n = random.Next(1, 5); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.InsertRange(at, Encoding.UTF8.GetBytes(tokens[random.Next(tokens.Length)])); break;
                case 3:
                    var length = Math.Min(random.Next(1, 40), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default: bytes.RemoveRange(at, Math.Min(random.Next(1, 30), bytes.Count - at)); break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Mutations of a tar: header and name bytes changed, blocks dropped or repeated, the end cut.</summary>
    private static byte[] MutateBytes(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        var list = new List<byte>(bytes);
        for (var n = random.Next(1, 5); n > 0 && list.Count > 0; n--)
        {
            var at = random.Next(list.Count);
            switch (random.Next(5))
            {
                case 0: list[at] = (byte)random.Next(256); break;
                case 1: list[at] = (byte)"./\0 0123456789.."[random.Next(16)]; break;
                case 2:
                    var block = at / 512 * 512;
                    if (block + 512 <= list.Count) list.InsertRange(block, list.GetRange(block, 512));
                    break;
                case 3:
                    var drop = at / 512 * 512;
                    list.RemoveRange(drop, Math.Min(512, list.Count - drop));
                    break;
                default: list.RemoveRange(at, list.Count - at); break;
            }
        }
        return list.ToArray();
    }
}
