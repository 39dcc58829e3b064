using System.IO.Compression;
using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Tests.Layers;

public sealed class LayerCacheTests
{
    private static IReadOnlyList<FileEntry> Entries(string source)
    {
        var tree = new FileTree();
        tree.Add(FileEntry.HostFile("/app/tool", source, 0x1ED, "test"));
        tree.Add(FileEntry.Inline("/etc/motd", "hi\n"u8.ToArray(), 0x1A4, "test"));
        return tree.Entries();
    }

    [Fact]
    public async Task ASecondBuild_HitsTheCache_AndGivesTheSameLayer_WhichDecompressesToItsDiffId()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var entries = Entries(dir.Write("tool", new byte[10000]));
        var writer = new LayerWriter();

        var (first, firstHit) = await cache.GetOrWriteAsync(writer, entries, CancellationToken.None);
        var (second, secondHit) = await cache.GetOrWriteAsync(writer, entries, CancellationToken.None);

        Assert.False(firstHit);
        Assert.True(secondHit);
        Assert.Equal(first, second);
        Assert.StartsWith(cache.Directory, second.BlobPath);
        Assert.Equal(first.DiffId, Digest.Compute(TarInspection.Gunzip(second.BlobPath)));
        // And it is the layer an uncached write gives.
        var fresh = await writer.WriteAsync(entries, dir.File("fresh"), CancellationToken.None);
        Assert.Equal((fresh.Digest, fresh.DiffId, fresh.Size), (second.Digest, second.DiffId, second.Size));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cache.Directory));
    }

    [Theory]
    [InlineData("flip")]     // a changed byte: the digest no longer matches
    [InlineData("truncate")] // a half-written blob
    [InlineData("nodigest")] // crashed between the blob and its digest file
    [InlineData("garbage")]  // a damaged digest file
    public async Task ACorruptOrHalfWrittenEntry_IsDetected_Deleted_AndRebuilt(string damage)
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var entries = Entries(dir.Write("tool", Enumerable.Range(0, 50000).Select(i => (byte)(i * 7)).ToArray()));
        var writer = new LayerWriter();
        var (good, _) = await cache.GetOrWriteAsync(writer, entries, CancellationToken.None);

        switch (damage)
        {
            case "flip":
                using (var f = File.Open(good.BlobPath, FileMode.Open)) { f.Position = 100; var b = f.ReadByte(); f.Position = 100; f.WriteByte((byte)(b ^ 0xFF)); }
                break;
            case "truncate":
                using (var f = File.Open(good.BlobPath, FileMode.Open)) f.SetLength(f.Length / 2);
                break;
            case "nodigest":
                File.Delete(good.BlobPath + ".digest");
                break;
            case "garbage":
                File.WriteAllText(good.BlobPath + ".digest", "not a digest");
                break;
        }

        var (rebuilt, hit) = await cache.GetOrWriteAsync(writer, entries, CancellationToken.None);

        Assert.False(hit);
        Assert.Equal(good.Digest, rebuilt.Digest);
        Assert.Equal(good.Digest, Digest.Compute(File.ReadAllBytes(rebuilt.BlobPath)));
        Assert.True((await cache.GetOrWriteAsync(writer, entries, CancellationToken.None)).Hit);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(rebuilt.BlobPath)!, "*.tmp"));
    }

    [Theory]
    [InlineData("another layer")] // a valid blob of other content, with a .digest file that matches it
    [InlineData("longer tar")]    // the right tar followed by more data: decompresses beyond the expected size
    [InlineData("not gzip")]      // the right number of bytes, not a compressed stream at all
    public async Task Finding04_AnEntryReplacedByAnotherValidBlobWithAMatchingDigestFile_IsRebuilt(string replacement)
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var entries = Entries(dir.Write("tool", Enumerable.Range(0, 50000).Select(i => (byte)(i * 7)).ToArray()));
        var writer = new LayerWriter();
        var (good, _) = await cache.GetOrWriteAsync(writer, entries, CancellationToken.None);

        byte[] blob = replacement switch
        {
            "another layer" => File.ReadAllBytes((await writer.WriteAsync(Entries(dir.Write("other", new byte[777])), dir.File("other-blob"), CancellationToken.None)).BlobPath),
            "longer tar" => Gzip([.. TarInspection.Gunzip(good.BlobPath), .. new byte[1024]]),
            _ => new byte[good.Size],
        };
        File.WriteAllBytes(good.BlobPath, blob);
        File.WriteAllText(good.BlobPath + ".digest", $"{Digest.Compute(blob)} {blob.Length}\n");

        var (layer, hit) = await cache.GetOrWriteAsync(writer, entries, CancellationToken.None);

        Assert.False(hit);
        Assert.Equal((good.Digest, good.Size), (layer.Digest, layer.Size));
        Assert.Equal(good.DiffId, Digest.Compute(TarInspection.Gunzip(layer.BlobPath)));
        Assert.True((await cache.GetOrWriteAsync(writer, entries, CancellationToken.None)).Hit);
    }

    [Theory]
    [InlineData(LayerCompression.Gzip, CompressionLevel.Fastest)]
    [InlineData(LayerCompression.Gzip, CompressionLevel.SmallestSize)]
    [InlineData(LayerCompression.Zstd, CompressionLevel.Fastest)]
    [InlineData(LayerCompression.Zstd, CompressionLevel.SmallestSize)]
    public async Task Finding17_AnEntryWrittenAtAnotherCompressionLevel_IsNotUsed(LayerCompression compression, CompressionLevel level)
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        // Text that each level compresses differently.
        var text = string.Join(' ', Enumerable.Range(0, 20000).Select(i => (i * 2654435761 % 100003).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var entries = Entries(dir.Write("tool", System.Text.Encoding.ASCII.GetBytes(text)));
        var atOptimal = new LayerWriter(new LayerOptions { Compression = compression });
        var atLevel = new LayerWriter(new LayerOptions { Compression = compression, CompressionLevel = level });
        var (optimal, _) = await cache.GetOrWriteAsync(atOptimal, entries, CancellationToken.None);

        var (layer, hit) = await cache.GetOrWriteAsync(atLevel, entries, CancellationToken.None);

        var fresh = await atLevel.WriteAsync(entries, dir.File("fresh"), CancellationToken.None);
        Assert.NotEqual(optimal.Digest, fresh.Digest); // else the test could not tell the levels apart
        Assert.False(hit);
        Assert.Equal((fresh.Digest, fresh.Size), (layer.Digest, layer.Size));
        Assert.True((await cache.GetOrWriteAsync(atOptimal, entries, CancellationToken.None)).Hit);
        Assert.Equal(optimal.Digest, (await cache.GetOrWriteAsync(atOptimal, entries, CancellationToken.None)).Layer.Digest);
    }

    [Fact]
    public async Task DifferentCompressors_DoNotShareEntries()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var entries = Entries(dir.Write("tool", new byte[1000]));
        var (gzip, _) = await cache.GetOrWriteAsync(new LayerWriter(), entries, CancellationToken.None);
        var (zstd, hit) = await cache.GetOrWriteAsync(new LayerWriter(new LayerOptions { Compression = LayerCompression.Zstd }), entries, CancellationToken.None);
        Assert.False(hit);
        Assert.Equal(gzip.DiffId, zstd.DiffId);
        Assert.NotEqual(gzip.Digest, zstd.Digest);
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", zstd.MediaType);
    }

    [Fact]
    public async Task ABlobOfTheRuntimesZlib_IsNeverUsedAsThePinnedGzip_NorTheOtherWayRound()
    {
        // Both are gzip of the same tar, so the hit check (digest file, decompressed diff_id) cannot tell them apart:
        // only the key's compressor name does.
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var entries = PinnedGzipTests.GoldenEntries();
        var pinnedWriter = new LayerWriter(new LayerOptions { ModificationTime = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero) });
        var fastWriter = new LayerWriter(pinnedWriter.Options with { Compression = LayerCompression.GzipFast });
        var (fast, _) = await cache.GetOrWriteAsync(fastWriter, entries, CancellationToken.None);

        var (pinned, hit) = await cache.GetOrWriteAsync(pinnedWriter, entries, CancellationToken.None);

        Assert.False(hit);
        Assert.Equal("sha256:665364c3158fb780c23d3cfa1ffc0c51d8467b8778e708b817c4b6a5f7ea0c46", pinned.Digest.ToString()); // the golden blob
        Assert.NotEqual(fast.Digest, pinned.Digest);
        var (fastAgain, fastHit) = await cache.GetOrWriteAsync(fastWriter, entries, CancellationToken.None);
        Assert.True(fastHit);
        Assert.Equal(fast.Digest, fastAgain.Digest);
        Assert.Equal(2, Directory.GetDirectories(cache.Directory).Count(d => Path.GetFileName(d) != "measured")); // one per compressor
    }

    [Fact]
    public async Task ARebuildAfterChangingTheApplication_RecompressesOnlyTheApplicationLayer()
    {
        using var dir = new TestDirectory();
        var cacheDirectory = dir.File("cache");
        var pipeline = new ImagePipeline(new ImagePipelineOptions { LayerCacheDirectory = cacheDirectory });
        var app = dir.File("bin/app");
        Directory.CreateDirectory(Path.GetDirectoryName(app)!);
        File.Copy("/bin/ls", app);
        var spec = new ImageSpec { Steps = [new AddBinaryStep(app, "/usr/bin/app"), new WithLibsStep()] };

        var first = await pipeline.BuildAsync(spec, ImageReference.Parse("app:1"), dir.File("1.tar"), CancellationToken.None);
        var blobsBefore = BlobWriteTimes(cacheDirectory);
        using (var f = File.Open(app, FileMode.Append)) f.Write("a change"u8);
        var second = await pipeline.BuildAsync(spec, ImageReference.Parse("app:1"), dir.File("2.tar"), CancellationToken.None);
        var blobsAfter = BlobWriteTimes(cacheDirectory);

        Assert.Equal(3, first.Layers.Count);
        Assert.Equal(first.Layers.Take(2).Select(l => l.Digest), second.Layers.Take(2).Select(l => l.Digest));
        Assert.NotEqual(first.Layers[2].Digest, second.Layers[2].Digest);
        Assert.NotEqual(first.ManifestDigest, second.ManifestDigest);
        // The library blobs were not rewritten; exactly one new blob (the application's) appeared.
        foreach (var (path, time) in blobsBefore) Assert.Equal(time, blobsAfter[path]);
        Assert.Equal(blobsBefore.Count + 1, blobsAfter.Count);
    }

    [Fact]
    public async Task AnUnusableCacheDirectory_IsAOneLineUserError()
    {
        using var dir = new TestDirectory();
        var blocker = dir.Write("file", [1]);
        var cache = new LayerCache(Path.Combine(blocker, "layers"));
        var e = await Assert.ThrowsAsync<TinyImageException>(() => cache.GetOrWriteAsync(new LayerWriter(), Entries(blocker), CancellationToken.None));
        Assert.Contains("TINYRUN_CACHE", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static Dictionary<string, DateTime> BlobWriteTimes(string cacheDirectory) =>
        Directory.GetFiles(cacheDirectory, "*", SearchOption.AllDirectories)
            .Where(p => !p.EndsWith(".digest", StringComparison.Ordinal))
            .ToDictionary(p => p, File.GetLastWriteTimeUtc);
}
