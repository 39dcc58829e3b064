using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Layers;

/// <summary>The layer cache's shared tier (<see cref="ISharedLayerCache"/>), with an in-memory stand-in for the registry.</summary>
public sealed class SharedLayerCacheTierTests
{
    private static IReadOnlyList<FileEntry> Entries(string text) =>
    [
        FileEntry.Directory("/app", 0x1ED, "test"),
        FileEntry.Inline("/app/data", System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(text, 400))), 0x1A4, "test"),
    ];

    /// <summary>Holds blobs by (compressor, diff_id), as a registry repository would; counts what it is asked.</summary>
    private sealed class MemoryShared : ISharedLayerCache
    {
        public Dictionary<(string, Digest), (byte[] Blob, Digest Digest)> Entries { get; } = [];
        public int Fetches { get; private set; }
        public int Stores { get; private set; }

        public async Task<(Digest Digest, long Size)?> TryFetchAsync(string compressor, Digest diffId, string destinationPath, CancellationToken cancellationToken)
        {
            Fetches++;
            if (!Entries.TryGetValue((compressor, diffId), out var entry)) return null;
            await File.WriteAllBytesAsync(destinationPath, entry.Blob, cancellationToken);
            return (entry.Digest, entry.Blob.Length);
        }

        public Task StoreAsync(string compressor, Layer layer, CancellationToken cancellationToken)
        {
            Stores++;
            Entries[(compressor, layer.DiffId)] = (File.ReadAllBytes(layer.BlobPath), layer.Digest);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_layer_compressed_on_one_machine_is_taken_from_the_shared_tier_on_another_and_stored_once()
    {
        using var dir = new TestDirectory();
        var shared = new MemoryShared();
        var writer = new LayerWriter();
        var (first, firstHit) = await new LayerCache(dir.File("a"), shared).GetOrWriteAsync(writer, Entries("x"), CancellationToken.None);
        Assert.False(firstHit);
        Assert.Equal((1, 1), (shared.Fetches, shared.Stores));
        Assert.Single(shared.Entries);

        var other = new LayerCache(dir.File("b"), shared);
        var (second, secondHit) = await other.GetOrWriteAsync(writer, Entries("x"), CancellationToken.None);
        Assert.True(secondHit);
        Assert.Equal((2, 1), (shared.Fetches, shared.Stores)); // fetched, not compressed or stored again
        Assert.Equal((first.Digest, first.DiffId, first.Size), (second.Digest, second.DiffId, second.Size));
        Assert.Equal(File.ReadAllBytes(first.BlobPath), File.ReadAllBytes(second.BlobPath));
        Assert.StartsWith(other.Directory, second.BlobPath);
        Assert.Equal($"{second.Digest} {second.Size}\n", File.ReadAllText(second.BlobPath + ".digest"));
        Assert.Empty(Directory.GetFiles(other.Directory, "*.tmp", SearchOption.AllDirectories));

        // Now local: the shared tier is not asked again.
        Assert.True((await other.GetOrWriteAsync(writer, Entries("x"), CancellationToken.None)).Hit);
        Assert.Equal(2, shared.Fetches);
    }

    [Fact]
    public async Task A_shared_entry_holding_another_layer_is_not_used_and_the_layer_is_compressed_here()
    {
        using var dir = new TestDirectory();
        var shared = new MemoryShared();
        var writer = new LayerWriter();
        var (wanted, _) = await new LayerCache(dir.File("a"), new MemoryShared()).GetOrWriteAsync(writer, Entries("x"), CancellationToken.None);
        var (other, _) = await new LayerCache(dir.File("c"), new MemoryShared()).GetOrWriteAsync(writer, Entries("y"), CancellationToken.None);
        // A planted entry: the wanted layer's key, another layer's (valid) blob and digest.
        shared.Entries[(writer.Options.CompressorName, wanted.DiffId)] = (File.ReadAllBytes(other.BlobPath), other.Digest);

        var cache = new LayerCache(dir.File("b"), shared);
        var (layer, hit) = await cache.GetOrWriteAsync(writer, Entries("x"), CancellationToken.None);
        Assert.False(hit);
        Assert.Equal((wanted.Digest, wanted.DiffId), (layer.Digest, layer.DiffId));
        Assert.Equal(File.ReadAllBytes(wanted.BlobPath), File.ReadAllBytes(layer.BlobPath));
        Assert.Equal(1, shared.Stores); // the right one replaces the planted one
        Assert.Equal(wanted.Digest, shared.Entries[(writer.Options.CompressorName, wanted.DiffId)].Digest);
        Assert.Empty(Directory.GetFiles(cache.Directory, "*.tmp", SearchOption.AllDirectories));
    }
}
