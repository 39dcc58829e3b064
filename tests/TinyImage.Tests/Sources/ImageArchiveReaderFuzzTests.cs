using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Sources;
using TinyImage.Core.Spec;
using TinyImage.Runner;
using TinyImage.Tests.Integration;
using Xunit.Abstractions;

namespace TinyImage.Tests.Sources;

/// <summary>
/// Damaged archives and layouts give an image or a <see cref="TinyImageException"/>, never another exception, a hang or
/// unbounded memory, in the one reader of untrusted images, <see cref="ImageArchiveReader"/>: what <c>tinyrun
/// inspect</c> does with an image (<see cref="InspectCommand.Describe"/>), what a sink or <c>From.Archive</c> asks of
/// it as an <see cref="IImage"/> (manifest, digests, blobs), and what <c>tinyrun verify</c> reads, on the tar and on a
/// layout directory of the same members, with and without a platform to choose. Seeds: an archive tinyrun writes, a
/// <c>docker save</c> one, an OCI one and a multi-platform OCI one with a nested index, written here. Mutations:
/// truncation, random bytes, a JSON value replaced in any document, damage inside a layer's tar, members dropped or
/// repeated. A fixed seed and a small budget in every test run; TINYIMAGE_FUZZ_ITERATIONS=N for a long run.
/// </summary>
public sealed class ImageArchiveReaderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261128;
    private const int DefaultInputs = 2000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>What one input may allocate on its thread: far above what a seed needs, far below a blow-up.</summary>
    private const long MaxAllocatedPerInput = 256L << 20;

    private static readonly JsonNode?[] Replacements =
    [
        null, 0, -1, 1.5, 1e308, long.MaxValue, true, "", "x", "sha256:" + new string('0', 64), "sha512:" + new string('a', 128),
        "../../../etc/passwd", "a\nb", new string('x', 10000), new JsonArray(), new JsonObject(), new JsonArray(null, 1, "s"),
        new JsonObject { ["digest"] = "sha256:" + new string('1', 64), ["size"] = -5 },
    ];

    [Fact]
    public async Task MutatedArchives_GiveAnImageOrAClearError_NeverACrashAHangOrAMemoryBlowUp()
    {
        var inputs = int.TryParse(Environment.GetEnvironmentVariable("TINYIMAGE_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : DefaultInputs;
        using var dir = new TempDirectory();
        var seeds = new[] { await OurArchiveAsync(dir), DockerSaveArchive(dir), OciArchive(dir), File.ReadAllBytes(new MultiPlatformLayout("amd64", "arm64").WriteTar(dir.Combine("multi.tar"))) };
        var random = new Random(Seed);
        var mutated = dir.Combine("mutated.tar");
        // A layout directory per seed, of which each input rewrites only the files it changed: writing them all is slow.
        var layouts = seeds.Select((_, n) => (Path: dir.Combine($"layout-{n}"), Written: new Dictionary<string, byte[]>(StringComparer.Ordinal))).ToArray();
        var failures = new List<string>();
        int readable = 0, rejected = 0, layoutsRead = 0;
        long mostAllocated = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < inputs && failures.Count < 20; i++)
        {
            var (members, how) = Mutate(seeds[i % seeds.Length], random);
            File.WriteAllBytes(mutated, members is null ? Truncate(seeds[i % seeds.Length], random) : Archive(members));
            var layout = layouts[i % seeds.Length];
            WriteLayout(layout.Path, members ?? [("index.json", "{}"u8.ToArray())], layout.Written);
            var platform = i % 2 == 0 ? null : Platform.LinuxArm64;
            var run = Task.Run(() => ReadEverything(mutated, layout.Path, platform));
            if (await Task.WhenAny(run, Task.Delay(Patience)) != run)
            {
                File.Copy(mutated, dir.Combine($"hang-{i}.tar"), overwrite: true);
                failures.Add($"input {i} ({how}) did not finish in {Patience.TotalSeconds} s");
                break; // the thread is stuck; nothing after it would be measured fairly
            }
            var (outcome, allocated, layoutRead) = await run;
            mostAllocated = Math.Max(mostAllocated, allocated);
            if (layoutRead) layoutsRead++;
            if (outcome is null) readable++;
            else if (outcome is TinyImageException { Message: var message } && !message.Contains('\n')) rejected++;
            else failures.Add($"input {i} ({how}): {outcome.GetType().Name}: {outcome.Message}\n{outcome.StackTrace}");
            if (allocated > MaxAllocatedPerInput) failures.Add($"input {i} ({how}) allocated {allocated >> 20} MiB");
        }
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        output.WriteLine($"{inputs} mutated archives (seed {Seed}) in {clock.Elapsed.TotalSeconds:F0} s: {readable} read and inspected, {rejected} rejected with a one-line " +
                         $"TinyImageException, {layoutsRead} layout directories read; {failures.Count} failures; at most {mostAllocated >> 10} KiB allocated " +
                         $"by one input; peak working set of the test process {peak >> 20} MiB");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Reads the archive and the layout as inspect, verify and sinks do; the exception (null when read), what it
    /// allocated, and whether the layout was read.
    /// </summary>
    private static (Exception? Outcome, long Allocated, bool LayoutRead) ReadEverything(string archive, string layout, Platform? platform)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var outcome = Outcome(() => ReadImages(archive, platform), rejectedIsOutcome: true);
        outcome ??= Outcome(() => ImageArchiveReader.ReadManifestsAsync(archive, CancellationToken.None).GetAwaiter().GetResult(), rejectedIsOutcome: false);
        outcome ??= Outcome(() => ImageArchiveReader.ReadManifestsAsync(layout, CancellationToken.None).GetAwaiter().GetResult(), rejectedIsOutcome: false);
        var layoutOutcome = Outcome(() => ReadImages(layout, platform), rejectedIsOutcome: true);
        if (layoutOutcome is not TinyImageException { Message: var message } || message.Contains('\n')) outcome ??= layoutOutcome;
        return (outcome, GC.GetAllocatedBytesForCurrentThread() - before, layoutOutcome is null);
    }

    /// <summary>Everything inspect and a sink read of each image of <paramref name="path"/>.</summary>
    private static void ReadImages(string path, Platform? platform)
    {
        foreach (var image in ImageArchiveReader.Read(path, platform))
        {
            InspectCommand.Describe(image, showFiles: true, TextWriter.Null);
            _ = (image.ManifestDigest, image.ManifestMediaType, image.ConfigDigest);
            foreach (var layer in ((IImage)image).Layers)
            {
                _ = (layer.Digest, layer.DiffId, layer.MediaType, layer.Size);
                using var blob = layer.OpenCompressed();
                blob.CopyTo(Stream.Null);
            }
        }
    }

    /// <summary>What <paramref name="read"/> threw: null when it read, or threw a TinyImageException that <paramref name="rejectedIsOutcome"/> does not ask for.</summary>
    private static Exception? Outcome(Action read, bool rejectedIsOutcome)
    {
        try
        {
            read();
            return null;
        }
        catch (TinyImageException e) when (!rejectedIsOutcome)
        {
            return e.Message.Contains('\n') ? e : null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>Makes <paramref name="layout"/> hold the files <paramref name="members"/> (the last of a name wins); <paramref name="written"/> is what it holds.</summary>
    private static void WriteLayout(string layout, List<(string Name, byte[] Data)> members, Dictionary<string, byte[]> written)
    {
        var wanted = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, data) in members) wanted[name] = data;
        foreach (var name in written.Keys.Where(n => !wanted.ContainsKey(n)).ToList())
        {
            File.Delete(Path.Combine(layout, name));
            written.Remove(name);
        }
        foreach (var (name, data) in wanted)
        {
            if (written.TryGetValue(name, out var there) && there.AsSpan().SequenceEqual(data)) continue;
            var path = Path.Combine(layout, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, data);
            written[name] = data;
        }
    }

    /// <summary>One mutation of an archive's members (null: truncate the archive's bytes instead).</summary>
    private static (List<(string Name, byte[] Data)>? Members, string How) Mutate(byte[] archive, Random random)
    {
        var members = Members(archive);
        var i = random.Next(members.Count);
        var (name, data) = members[i];
        switch (random.Next(10))
        {
            case 0:
                return (null, "truncated");
            case 1:
            case 2:
            {
                var bytes = (byte[])data.Clone();
                var count = 1 + random.Next(8);
                for (var j = 0; j < count && bytes.Length > 0; j++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                members[i] = (name, bytes);
                return (members, $"{count} random bytes in {name}");
            }
            case 3:
            case 4:
            case 5:
            {
                var json = members.FindIndex(m => m.Data.Length > 0 && m.Data[0] is (byte)'{' or (byte)'[');
                var target = random.Next(2) == 0 || json < 0 ? i : json;
                if (!TryParse(members[target].Data, out var root)) goto case 1;
                var how = ReplaceRandomValue(ref root, random);
                var text = root?.ToJsonString() ?? "null";
                if (random.Next(8) == 0) text = text.Replace("\"", "\"\u00ff", StringComparison.Ordinal); // invalid UTF-8 below
                var bytes = Encoding.UTF8.GetBytes(text);
                if (text.Contains('\u00ff', StringComparison.Ordinal)) bytes = [.. bytes.Where(b => b != 0xC3).Select(b => b == 0xBF ? (byte)0xFF : b)];
                members[target] = (members[target].Name, bytes);
                return (members, $"{how} in {members[target].Name}");
            }
            case 6:
            case 7:
            {
                var layer = members.FindIndex(m => IsGzip(m.Data) || IsTar(m.Data));
                if (layer < 0) goto case 1;
                var gzip = IsGzip(members[layer].Data);
                var tar = gzip ? Gunzip(members[layer].Data) : (byte[])members[layer].Data.Clone();
                var count = 1 + random.Next(6);
                for (var j = 0; j < count; j++) tar[random.Next(Math.Min(tar.Length, 4096))] = (byte)random.Next(256);
                if (random.Next(3) == 0) tar = tar[..random.Next(tar.Length)];
                members[layer] = (members[layer].Name, gzip ? Gzip(tar) : tar);
                return (members, $"{count} random bytes in the tar of {members[layer].Name}");
            }
            case 8:
                members.RemoveAt(i);
                return (members, $"{name} removed");
            default:
                members.Add((name, random.Next(2) == 0 ? data : []));
                return (members, $"{name} repeated");
        }
    }

    /// <summary>Replaces a random value of the document (or the document) with one of <see cref="Replacements"/>.</summary>
    private static string ReplaceRandomValue(ref JsonNode? root, Random random)
    {
        var nodes = new List<JsonNode>();
        void Walk(JsonNode? node)
        {
            if (node is null) return;
            nodes.Add(node);
            if (node is JsonObject o) foreach (var (_, child) in o) Walk(child);
            if (node is JsonArray a) foreach (var child in a) Walk(child);
        }
        Walk(root);
        var replacement = Replacements[random.Next(Replacements.Length)]?.DeepClone();
        var victim = nodes.Count == 0 ? null : nodes[random.Next(nodes.Count)];
        if (victim?.Parent is JsonObject parent)
        {
            var key = parent.First(p => ReferenceEquals(p.Value, victim)).Key;
            parent[key] = replacement;
            return $"{key} = {replacement?.ToJsonString() ?? "null"}";
        }
        if (victim?.Parent is JsonArray array)
        {
            array[array.IndexOf(victim)] = replacement;
            return $"an item = {replacement?.ToJsonString() ?? "null"}";
        }
        root = replacement;
        return $"the document = {replacement?.ToJsonString() ?? "null"}";
    }

    private static bool TryParse(byte[] data, out JsonNode? root)
    {
        try
        {
            root = JsonNode.Parse(data);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            root = null;
            return false;
        }
    }

    private static byte[] Truncate(byte[] archive, Random random) => archive[..random.Next(archive.Length)];

    private static List<(string Name, byte[] Data)> Members(byte[] archive)
    {
        var members = new List<(string, byte[])>();
        using var reader = new TarReader(new MemoryStream(archive));
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.DataStream is null) continue;
            using var data = new MemoryStream();
            entry.DataStream.CopyTo(data);
            members.Add((entry.Name, data.ToArray()));
        }
        return members;
    }

    private static byte[] Archive(List<(string Name, byte[] Data)> members)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Gnu, leaveOpen: true))
            foreach (var (name, data) in members)
                writer.WriteEntry(HandMadeArchive.Entry(TarEntryType.RegularFile, name, data));
        return buffer.ToArray();
    }

    private static bool IsGzip(byte[] data) => data.Length > 2 && data[0] == 0x1f && data[1] == 0x8b;

    private static bool IsTar(byte[] data) => data.Length >= 512 && Encoding.ASCII.GetString(data, 257, 5) == "ustar";

    private static byte[] Gunzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>An archive as tinyrun writes it: two layers (files, a symlink, a directory), files.json, an entrypoint.</summary>
    private static async Task<byte[]> OurArchiveAsync(TempDirectory dir)
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Inline("/etc/motd", "hello\n"u8.ToArray(), 0x1A4, "AddText at fuzz.tiny.csx(1)"));
        tree.Add(FileEntry.Inline("/usr/lib/libx.so.1", new byte[3000], 0x1ED, "needed by /app"));
        tree.Add(FileEntry.Inline("/app", "#!/bin/sh\n"u8.ToArray(), 0x1ED, "AddFile at fuzz.tiny.csx(2)"));
        var entries = tree.Entries();
        var options = new ImagePipelineOptions { LayerAssignments = [new LayerAssignment("libs", new HashSet<string> { "/usr/lib/libx.so.1" })] };
        var config = new ImageConfig { Entrypoint = ["/app"], Env = [new("A", "b"), new("PATH", "/usr/bin")] };
        var path = dir.Combine("ours.tar");
        await new ImagePipeline(options).BuildAsync(entries, config, "amd64", ImageReference.Parse("fuzz:1"), path, CancellationToken.None, ImagePipeline.Explain(entries));
        return File.ReadAllBytes(path);
    }

    private static byte[] DockerSaveArchive(TempDirectory dir)
    {
        var lower = HandMadeArchive.Layer(false, ("./", ""), (".hidden", "h"), ("opt/", ""), ("opt/tool", "t"), ("etc/", ""), ("etc/a", "a"), ("lib", "->usr/lib"));
        var upper = HandMadeArchive.Layer(true, (".wh.opt", ""), ("etc/", ""), ("etc/.wh..wh..opq", ""), ("etc/b", "b"), (new string('d', 150) + "/", ""), (new string('d', 150) + "/long", "l"));
        return File.ReadAllBytes(HandMadeArchive.DockerSave(dir.Combine("saved.tar"), lower, upper));
    }

    private static byte[] OciArchive(TempDirectory dir) =>
        File.ReadAllBytes(HandMadeArchive.Oci(dir.Combine("oci.tar"), HandMadeArchive.OciIndex, HandMadeArchive.OciManifest, HandMadeArchive.Config,
            HandMadeArchive.Layer(false, ("a", "a"), ("b/", ""), ("b/c", "c"))));
}
