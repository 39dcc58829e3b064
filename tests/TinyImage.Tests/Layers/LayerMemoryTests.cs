using System.IO.Compression;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;

namespace TinyImage.Tests.Layers;

/// <summary>Measures process-wide allocations, so it runs alone, after the parallel tests.</summary>
[Collection(nameof(LayerMemoryTests))]
[CollectionDefinition(nameof(LayerMemoryTests), DisableParallelization = true)]
public sealed class LayerMemoryTests
{
    [Fact]
    public async Task LargeFile_IsStreamed_MemoryDoesNotGrowWithFileSize()
    {
        using var dir = new TestDirectory();
        var big = dir.File("big");
        using (var stream = File.Create(big)) stream.SetLength(64L << 20); // 64 MiB of zeros, sparse on disk
        var tree = new FileTree();
        tree.Add(FileEntry.HostFile("/big", big, 0x1A4, "test"));
        var entries = tree.Entries();
        var writer = new LayerWriter(new LayerOptions { CompressionLevel = CompressionLevel.Fastest });
        await writer.WriteAsync(entries, dir.File("warm-up"), CancellationToken.None);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var layer = await writer.WriteAsync(entries, dir.Path, CancellationToken.None);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(64L << 20, layer.ContentSize);
        Assert.True(allocated < 8 << 20, $"writing a 64 MiB file allocated {allocated} bytes");
    }
}
