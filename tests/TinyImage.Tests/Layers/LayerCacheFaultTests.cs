using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;

namespace TinyImage.Tests.Layers;

/// <summary>
/// The layer cache under faults: input files changing during a build, entries that cannot be read or removed, half
/// entries, a shared tier that fails, a lock that cannot be taken, and builds that hold the cache together. The tests
/// run as root, where permissions refuse nothing, so a read error comes from a file that fails every read
/// (<c>/proc/self/mem</c> at offset 0 gives EIO) and a removal error from a directory where a file is expected.
/// </summary>
public sealed class LayerCacheFaultTests
{
    /// <summary>Fails every read with EIO, even as root.</summary>
    private const string UnreadableFile = "/proc/self/mem";

    private static IReadOnlyList<FileEntry> Entries(string text) => CacheEntries.Of(text);

    private static string[] Temporary(string directory) => CacheEntries.Temporary(directory);

    [Fact]
    public async Task AnInputFileChangedBetweenTheLookupAndTheCompression_IsAOneLineUserError_AndNothingIsStored()
    {
        using var dir = new TestDirectory();
        var source = dir.Write("data", "first version\n"u8.ToArray());
        IReadOnlyList<FileEntry> entries = [FileEntry.HostFile("/data", source, 0x1A4, "test")];
        var writer = new LayerWriter();
        var measured = await writer.MeasureAsync(entries, CancellationToken.None);
        // Same size, other bytes: only the diff_id can tell. The shared tier is asked right after the lookup.
        var shared = new OneBlobSharedTier(writer.Options.CompressorName, layer: null)
        {
            BeforeFetch = _ => File.WriteAllBytes(source, "other version\n"u8.ToArray()),
        };
        var cache = new LayerCache(dir.File("cache"), shared);

        var error = await Assert.ThrowsAsync<TinyImageException>(() => cache.GetOrWriteAsync(writer, entries, CancellationToken.None));

        Assert.Equal($"the files of layer {measured.DiffId} changed while the image was built; do not change input files during a build, then build again",
            error.Message);
        Assert.Empty(Temporary(cache.Directory));
        Assert.Empty(Directory.GetDirectories(cache.Directory).SelectMany(Directory.GetFiles));
        Assert.Equal(0, shared.Stored);
    }

    [Fact]
    public async Task ADigestFileThatCannotBeRead_IsAMiss_AndTheEntryIsWrittenAgain()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var (layer, _) = await cache.GetOrWriteAsync(writer, Entries("d"), CancellationToken.None);
        var digestPath = layer.BlobPath + ".digest";
        File.Delete(digestPath);
        File.CreateSymbolicLink(digestPath, UnreadableFile);

        var (again, hit) = await cache.GetOrWriteAsync(writer, Entries("d"), CancellationToken.None);

        Assert.False(hit);
        Assert.Equal((layer.Digest, layer.DiffId, layer.BlobPath), (again.Digest, again.DiffId, again.BlobPath));
        Assert.Null(new FileInfo(digestPath).LinkTarget);
        Assert.Equal($"{layer.Digest} {layer.Size}\n", File.ReadAllText(digestPath));
        Assert.True((await cache.GetOrWriteAsync(writer, Entries("d"), CancellationToken.None)).Hit);
    }

    [Fact]
    public async Task ABlobThatCannotBeRead_IsAMiss_AndTheEntryIsWrittenAgain()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var (layer, _) = await cache.GetOrWriteAsync(writer, Entries("b"), CancellationToken.None);
        File.Delete(layer.BlobPath);
        File.CreateSymbolicLink(layer.BlobPath, UnreadableFile);
        // The size the unreadable file reports (0), so that the blob is opened and read.
        File.WriteAllText(layer.BlobPath + ".digest", $"{layer.Digest} 0\n");

        var (again, hit) = await cache.GetOrWriteAsync(writer, Entries("b"), CancellationToken.None);

        Assert.False(hit);
        Assert.Equal((layer.Digest, layer.Size), (again.Digest, again.Size));
        Assert.Null(new FileInfo(layer.BlobPath).LinkTarget);
        Assert.True((await cache.GetOrWriteAsync(writer, Entries("b"), CancellationToken.None)).Hit);
    }

    [Theory]
    [InlineData("blob without its digest file")]
    [InlineData("digest file without its blob")]
    public async Task AHalfEntry_IsReplacedByTheSharedTiersBlob(string half)
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter();
        var (elsewhere, _) = await new LayerCache(dir.File("elsewhere")).GetOrWriteAsync(writer, Entries("h"), CancellationToken.None);
        var cache = new LayerCache(dir.File("cache"));
        var (local, _) = await cache.GetOrWriteAsync(writer, Entries("h"), CancellationToken.None);
        File.Delete(half == "blob without its digest file" ? local.BlobPath + ".digest" : local.BlobPath);
        var shared = new OneBlobSharedTier(writer.Options.CompressorName, elsewhere);

        var (layer, hit) = await new LayerCache(cache.Directory, shared).GetOrWriteAsync(writer, Entries("h"), CancellationToken.None);

        Assert.True(hit);
        Assert.Equal(1, shared.Fetched);
        Assert.Equal(local.BlobPath, layer.BlobPath);
        Assert.Equal(File.ReadAllBytes(elsewhere.BlobPath), File.ReadAllBytes(layer.BlobPath));
        Assert.Equal($"{elsewhere.Digest} {elsewhere.Size}\n", File.ReadAllText(layer.BlobPath + ".digest"));
        Assert.Empty(Temporary(cache.Directory));
    }

    [Fact]
    public async Task ASharedTierDownloadThatFailsHalfWay_LeavesNoTemporaryFile_AndTheLayerIsCompressedHere()
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter();
        var shared = new OneBlobSharedTier(writer.Options.CompressorName, layer: null) { PartialDownload = new byte[5000] };
        var cache = new LayerCache(dir.File("cache"), shared);

        var (layer, hit) = await cache.GetOrWriteAsync(writer, Entries("f"), CancellationToken.None);

        Assert.False(hit);
        Assert.Equal(1, shared.Stored);
        Assert.True(File.Exists(layer.BlobPath));
        Assert.Empty(Temporary(cache.Directory));
    }

    [Fact]
    public async Task ACorruptEntry_IsRemovedWhenFound_EvenWhenTheRebuildThenFails()
    {
        using var dir = new TestDirectory();
        var source = dir.Write("data", "some content\n"u8.ToArray());
        IReadOnlyList<FileEntry> entries = [FileEntry.HostFile("/data", source, 0x1A4, "test")];
        var writer = new LayerWriter();
        var cache = new LayerCache(dir.File("cache"));
        var (layer, _) = await cache.GetOrWriteAsync(writer, entries, CancellationToken.None);
        var blob = File.ReadAllBytes(layer.BlobPath);
        blob[^5] ^= 0xFF; // same size, damaged CRC
        File.WriteAllBytes(layer.BlobPath, blob);
        // The input goes away after the lookup, so the rebuild fails.
        var shared = new OneBlobSharedTier(writer.Options.CompressorName, layer: null) { BeforeFetch = _ => File.Delete(source) };

        await Assert.ThrowsAsync<TinyImageException>(() => new LayerCache(cache.Directory, shared).GetOrWriteAsync(writer, entries, CancellationToken.None));

        Assert.False(File.Exists(layer.BlobPath));
        Assert.False(File.Exists(layer.BlobPath + ".digest"));
        Assert.Equal(0, cache.Measure().Layers);
    }

    [Fact]
    public async Task TwoBuilds_HoldTheCacheTogether()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        using var first = await cache.LeaseAsync(CancellationToken.None);

        // Waits only if the leases exclude each other, which would serialise every build on the machine.
        using var second = await new LayerCache(cache.Directory).LeaseAsync(CancellationToken.None).WaitAsync(BlockingCaller.Timeout);

        Assert.NotNull(second);
    }

    [Theory]
    [InlineData("a directory")] // UnauthorizedAccessException
    [InlineData("a link into a missing directory")] // DirectoryNotFoundException, an IOException
    public async Task ACacheWhoseLockCannotBeOpened_IsAOneLineUserError(string lockFile)
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var lockPath = Path.Combine(cache.Directory, ".lock");
        if (lockFile == "a directory") Directory.CreateDirectory(lockPath);
        else
        {
            Directory.CreateDirectory(cache.Directory);
            File.CreateSymbolicLink(lockPath, dir.File("missing/.lock"));
        }

        var lease = await Assert.ThrowsAsync<TinyImageException>(() => cache.LeaseAsync(CancellationToken.None));
        var prune = await Assert.ThrowsAsync<TinyImageException>(() => cache.PruneAsync(0, null, CancellationToken.None));

        foreach (var error in new[] { lease, prune })
        {
            Assert.StartsWith($"cannot lock the layer cache '{cache.Directory}': ", error.Message);
            Assert.EndsWith("; fix its permissions or set TINYRUN_CACHE to another directory", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
    }

    [Fact]
    public async Task AnEntryThatCannotBeRemoved_MakesPruneAOneLineUserError()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var (layer, _) = await cache.GetOrWriteAsync(new LayerWriter(), Entries("r"), CancellationToken.None);
        File.Delete(layer.BlobPath + ".digest");
        Directory.CreateDirectory(layer.BlobPath + ".digest"); // unlink(2) refuses a directory, even to root

        var error = await Assert.ThrowsAsync<TinyImageException>(() => cache.PruneAsync(0, null, CancellationToken.None));

        Assert.StartsWith($"cannot remove '{layer.BlobPath}' from the layer cache: ", error.Message);
        Assert.EndsWith("; fix its permissions", error.Message);
        Assert.True(File.Exists(layer.BlobPath));
    }
}
