using System.Security.Cryptography;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Layers;

/// <summary>
/// TinyImage.Core is a library: its layer writing and layer cache must work for a caller that blocks on them from a
/// thread with a single-threaded <see cref="SynchronizationContext"/> (<see cref="BlockingCaller"/>), which deadlocks as
/// soon as one await resumes on the caller's context instead of the thread pool. Each case makes a different await the
/// first one that really waits (file I/O, a lock held by someone else, a shared tier answering later), since only an
/// await reached while still on the caller's thread can post back to it; the result is checked against the same call
/// made normally.
/// </summary>
public sealed class BlockingCallerLayerTests
{
    /// <summary>Incompressible, so that it reaches the blob file's buffer as it is.</summary>
    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static IReadOnlyList<FileEntry> InMemory(string text) =>
    [
        FileEntry.Directory("/app", 0x1ED, "test"),
        FileEntry.Inline("/app/data", System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(text, 400))), 0x1A4, "test"),
    ];

    /// <summary>
    /// Entries whose writing first waits at a different await: a host file (its reads), an empty host file (the read
    /// that checks it did not grow), a layer opening with a directory or a symlink (zstd's writes of the first header),
    /// and small in-memory content (only the final flush of the blob file).
    /// </summary>
    public static TheoryData<string, LayerCompression> Layers() => new()
    {
        { "host file", LayerCompression.Gzip },
        { "empty host file", LayerCompression.Gzip },
        { "in memory", LayerCompression.Gzip },
        { "in memory", LayerCompression.GzipFast },
        { "directory first", LayerCompression.Zstd },
        { "symlink first", LayerCompression.Zstd },
        { "large in memory", LayerCompression.GzipFast },
    };

    private static IReadOnlyList<FileEntry> EntriesOf(string kind, TestDirectory dir) => kind switch
    {
        "host file" =>
        [
            FileEntry.Directory("/app", 0x1ED, "test"),
            FileEntry.HostFile("/app/data", dir.Write("data", RandomBytes(300_000, 1)), 0x1A4, "test"),
        ],
        "empty host file" => [FileEntry.HostFile("/empty", dir.Write("empty", []), 0x1A4, "test")],
        "in memory" => InMemory("m"),
        "directory first" => [FileEntry.Directory("/app", 0x1ED, "test"), FileEntry.Inline("/app/x", [1, 2, 3], 0x1A4, "test")],
        "symlink first" => [FileEntry.Link("/bin", "usr/bin", "test"), FileEntry.Directory("/usr", 0x1ED, "test")],
        "large in memory" => [FileEntry.Inline("/big", RandomBytes(1_000_000, 2), 0x1A4, "test")],
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public async Task WritingALayer_FromABlockingCaller_DoesNotDeadlock(string kind, LayerCompression compression)
    {
        using var dir = new TestDirectory();
        var entries = EntriesOf(kind, dir);
        var writer = new LayerWriter(new LayerOptions { Compression = compression });
        var expected = await writer.WriteAsync(entries, dir.File("expected"), CancellationToken.None);

        var layer = BlockingCaller.Run(() => writer.WriteAsync(entries, dir.File("blobs"), CancellationToken.None));

        Assert.Equal((expected.Digest, expected.DiffId, expected.Size), (layer.Digest, layer.DiffId, layer.Size));
        Assert.Equal(File.ReadAllBytes(expected.BlobPath), File.ReadAllBytes(layer.BlobPath));
    }

    [Fact]
    public async Task MeasuringALayerOfHostFiles_FromABlockingCaller_DoesNotDeadlock()
    {
        using var dir = new TestDirectory();
        var entries = EntriesOf("host file", dir);
        var writer = new LayerWriter();
        var expected = await writer.MeasureAsync(entries, CancellationToken.None);

        var measured = BlockingCaller.Run(() => writer.MeasureAsync(entries, CancellationToken.None));

        Assert.Equal(expected, measured);
    }

    [Theory]
    [InlineData("in memory")]
    [InlineData("host file")]
    public async Task AMissAndThenAHit_FromABlockingCaller_DoNotDeadlock(string kind)
    {
        using var dir = new TestDirectory();
        var entries = EntriesOf(kind, dir);
        var writer = new LayerWriter();
        var expected = await writer.WriteAsync(entries, dir.File("expected"), CancellationToken.None);
        var cache = new LayerCache(dir.File("cache"));

        var (written, firstHit) = BlockingCaller.Run(() => cache.GetOrWriteAsync(writer, entries, CancellationToken.None));
        var (cached, secondHit) = BlockingCaller.Run(() => cache.GetOrWriteAsync(writer, entries, CancellationToken.None));

        Assert.False(firstHit);
        Assert.True(secondHit);
        Assert.Equal((expected.Digest, expected.DiffId), (written.Digest, written.DiffId));
        Assert.Equal((expected.Digest, expected.DiffId), (cached.Digest, cached.DiffId));
        Assert.Equal(File.ReadAllBytes(expected.BlobPath), File.ReadAllBytes(cached.BlobPath));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AHitFromTheSharedTier_FromABlockingCaller_DoesNotDeadlock(bool sharedAnswersAtOnce)
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter();
        var (elsewhere, _) = await new LayerCache(dir.File("elsewhere")).GetOrWriteAsync(writer, InMemory("s"), CancellationToken.None);
        var shared = new OneBlobSharedTier(writer.Options.CompressorName, elsewhere, sharedAnswersAtOnce);
        var cache = new LayerCache(dir.File("cache"), shared);

        var (layer, hit) = BlockingCaller.Run(() => cache.GetOrWriteAsync(writer, InMemory("s"), CancellationToken.None));

        Assert.True(hit);
        Assert.Equal(1, shared.Fetched);
        Assert.Equal((elsewhere.Digest, elsewhere.DiffId), (layer.Digest, layer.DiffId));
        Assert.StartsWith(cache.Directory, layer.BlobPath);
    }

    [Fact]
    public void ALeaseThatWaitsForAPrune_FromABlockingCaller_DoesNotDeadlock()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        Directory.CreateDirectory(cache.Directory);
        // What a running prune holds: the cache's lock, exclusively.
        var prune = FileLock.TryAcquire(Path.Combine(cache.Directory, ".lock"), exclusive: true);
        Assert.NotNull(prune);

        using var lease = BlockingCaller.Run(() =>
        {
            // The lock is held, so the lease cannot be taken at once: it waits, and is given the lock only after this
            // returns, from a timer.
            var leasing = cache.LeaseAsync(CancellationToken.None);
            prune!.Dispose();
            return leasing;
        });

        // The lease is shared: another build's lease is granted beside it, an exclusive lock is not.
        using var other = FileLock.TryAcquire(Path.Combine(cache.Directory, ".lock"), exclusive: false);
        Assert.NotNull(other);
        Assert.Null(FileLock.TryAcquire(Path.Combine(cache.Directory, ".lock"), exclusive: true));
    }

    [Fact]
    public async Task APruneThatWaitsForABuild_FromABlockingCaller_DoesNotDeadlock()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var (layer, _) = await cache.GetOrWriteAsync(new LayerWriter(), InMemory("p"), CancellationToken.None);
        var build = await new LayerCache(cache.Directory).LeaseAsync(CancellationToken.None);
        var waited = 0;

        var (removed, left) = BlockingCaller.Run(() => cache.PruneAsync(0, () =>
        {
            waited++;
            build.Dispose(); // the build ends while the prune waits for it
        }, CancellationToken.None));

        Assert.Equal(1, waited);
        Assert.Equal(1, removed.Layers);
        Assert.Equal(0, left.Layers);
        Assert.False(File.Exists(layer.BlobPath));
    }

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public async Task CheckingABlobFile_FromABlockingCaller_DoesNotDeadlock(LayerCompression compression)
    {
        using var dir = new TestDirectory();
        var writer = new LayerWriter(new LayerOptions { Compression = compression });
        var layer = await writer.WriteAsync(InMemory("v"), dir.Path, CancellationToken.None);
        var content = await writer.MeasureAsync(InMemory("v"), CancellationToken.None);

        var matches = BlockingCaller.Run(async () =>
        {
            var blob = new FileStream(layer.BlobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous);
            await using (blob.ConfigureAwait(false))
                return await LayerBlobVerifier.MatchesAsync(blob, compression, layer.Digest, content, CancellationToken.None).ConfigureAwait(false);
        });

        Assert.True(matches);
        Assert.Equal(layer.Digest, Digest.FromHash(SHA256.HashData(File.ReadAllBytes(layer.BlobPath))));
    }
}
