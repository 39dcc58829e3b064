using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;

namespace TinyImage.Tests.Layers;

/// <summary>
/// A rebuild of unchanged files reads none of them: the layer's diff_id is known from its files' stamps
/// (<see cref="LayerMeasurements"/>) and a blob checked before is not checked again; any change to a file, even one
/// that keeps its size and modification time, is seen.
/// </summary>
public sealed class LayerStampTests
{
    private static LayerCache Cache(TestDirectory dir, bool settled = true) =>
        settled ? new LayerCache(dir.File("cache")) { Time = new MinuteLater() } : new LayerCache(dir.File("cache"));

    private static IReadOnlyList<FileEntry> Entries(string source) =>
    [
        FileEntry.Directory("/app", 0x1ED, "test"),
        FileEntry.HostFile("/app/data", source, 0x1A4, "test"),
        FileEntry.Inline("/app/note", "inline"u8.ToArray(), 0x1A4, "test"),
    ];

    /// <summary>The measurements the cache holds.</summary>
    private static string[] Measurements(string cacheDirectory) =>
        Directory.Exists(Path.Combine(cacheDirectory, "measured")) ? Directory.GetFiles(Path.Combine(cacheDirectory, "measured")) : [];

    private static string Source(TestDirectory dir, string text) =>
        dir.Write("data", System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(text, 500))));

    [Fact]
    public async Task ARebuildOfSettledFiles_NeitherMeasuresTheLayerNorChecksTheBlobAgain()
    {
        using var dir = new TestDirectory();
        var source = Source(dir, "abc");
        var writer = new LayerWriter();
        var first = Cache(dir);
        var (written, hit) = await first.GetOrWriteAsync(writer, Entries(source), CancellationToken.None);
        Assert.False(hit);
        Assert.Equal(1, first.MeasuredLayers);

        var second = Cache(dir);
        var (again, secondHit) = await second.GetOrWriteAsync(writer, Entries(source), CancellationToken.None);
        var third = Cache(dir);
        var (onceMore, thirdHit) = await third.GetOrWriteAsync(writer, Entries(source), CancellationToken.None);

        Assert.True(secondHit && thirdHit);
        Assert.Equal((0, 1), (second.MeasuredLayers, second.VerifiedBlobs)); // the blob is checked once, and its stamp recorded
        Assert.Equal((0, 0), (third.MeasuredLayers, third.VerifiedBlobs));
        Assert.Equal((written.Digest, written.DiffId, written.Size, written.BlobPath), (again.Digest, again.DiffId, again.Size, again.BlobPath));
        Assert.Equal(written.DiffId, onceMore.DiffId);
        Assert.Equal(3, File.ReadAllText(written.BlobPath + ".digest").Trim().Split(' ').Length);
    }

    [Fact]
    public async Task AFileRewrittenWithTheSameSizeAndModificationTime_IsReadAgain_AndGivesItsNewLayer()
    {
        using var dir = new TestDirectory();
        var source = Source(dir, "abc");
        var modified = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc); // whole seconds: set back exactly below
        File.SetLastWriteTimeUtc(source, modified);
        var writer = new LayerWriter();
        var (before, _) = await Cache(dir).GetOrWriteAsync(writer, Entries(source), CancellationToken.None);

        Source(dir, "abd"); // same size
        File.SetLastWriteTimeUtc(source, modified); // and the old modification time: only the status-change time tells
        var cache = Cache(dir);
        var (after, hit) = await cache.GetOrWriteAsync(writer, Entries(source), CancellationToken.None);

        Assert.False(hit);
        Assert.Equal(1, cache.MeasuredLayers);
        Assert.NotEqual(before.DiffId, after.DiffId);
        Assert.Equal((await new LayerWriter().MeasureAsync(Entries(source), CancellationToken.None)).DiffId, after.DiffId);
    }

    [Fact]
    public async Task FilesChangedJustNow_AreReadOnEveryBuild_AndNoMeasurementIsKept()
    {
        using var dir = new TestDirectory();
        var source = Source(dir, "abc");
        var writer = new LayerWriter();
        await Cache(dir, settled: false).GetOrWriteAsync(writer, Entries(source), CancellationToken.None);
        var cache = Cache(dir, settled: false);

        var (_, hit) = await cache.GetOrWriteAsync(writer, Entries(source), CancellationToken.None);

        Assert.True(hit);
        Assert.Equal((1, 1), (cache.MeasuredLayers, cache.VerifiedBlobs));
        Assert.Empty(Measurements(cache.Directory));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage\n")]
    [InlineData("sha256:00 1 1 1 1\n")]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000 -1 1 1 1\n")]
    public async Task ADamagedMeasurement_IsAMiss_AndIsWrittenAgain(string text)
    {
        using var dir = new TestDirectory();
        var source = Source(dir, "abc");
        var writer = new LayerWriter();
        var (layer, _) = await Cache(dir).GetOrWriteAsync(writer, Entries(source), CancellationToken.None);
        var measurement = Assert.Single(Measurements(dir.File("cache")));
        var good = File.ReadAllText(measurement);
        File.WriteAllText(measurement, text);
        var cache = Cache(dir);

        var (again, hit) = await cache.GetOrWriteAsync(writer, Entries(source), CancellationToken.None);

        Assert.True(hit);
        Assert.Equal(1, cache.MeasuredLayers);
        Assert.Equal(layer.DiffId, again.DiffId);
        Assert.Equal(good, File.ReadAllText(measurement));
    }

    [Fact]
    public async Task AWrongMeasurement_WithNoBlobOfItsDiffId_FailsAsAChangeDuringTheBuild_AndIsForgotten()
    {
        using var dir = new TestDirectory();
        var source = Source(dir, "abc");
        var writer = new LayerWriter();
        await Cache(dir).GetOrWriteAsync(writer, Entries(source), CancellationToken.None);
        var measurement = Assert.Single(Measurements(dir.File("cache")));
        var parts = File.ReadAllText(measurement).Split(' ');
        File.WriteAllText(measurement, string.Join(' ', ["sha256:" + new string('1', 64), .. parts[1..]]));

        var error = await Assert.ThrowsAsync<TinyImageException>(() => Cache(dir).GetOrWriteAsync(writer, Entries(source), CancellationToken.None));
        var (_, hit) = await Cache(dir).GetOrWriteAsync(writer, Entries(source), CancellationToken.None);

        Assert.Contains("changed while the image was built", error.Message);
        Assert.True(hit);
    }

    [Fact]
    public async Task ABlobChangedAfterItsCheck_InPlaceWithItsSizeAndTimes_IsCheckedAgain_AndRebuilt()
    {
        using var dir = new TestDirectory();
        var source = Source(dir, "abc");
        var writer = new LayerWriter();
        var (layer, _) = await Cache(dir).GetOrWriteAsync(writer, Entries(source), CancellationToken.None);
        var modified = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc); // whole seconds: set back exactly below
        File.SetLastWriteTimeUtc(layer.BlobPath, modified);
        var checking = Cache(dir);
        await checking.GetOrWriteAsync(writer, Entries(source), CancellationToken.None); // checks it and records its stamp
        Assert.Equal(1, checking.VerifiedBlobs);
        var used = File.GetLastAccessTimeUtc(layer.BlobPath);
        using (var blob = new FileStream(layer.BlobPath, FileMode.Open, FileAccess.ReadWrite))
        {
            blob.Position = blob.Length / 2;
            var b = blob.ReadByte();
            blob.Position--;
            blob.WriteByte((byte)(b ^ 0xFF));
        }
        File.SetLastWriteTimeUtc(layer.BlobPath, modified);
        File.SetLastAccessTimeUtc(layer.BlobPath, used);
        var cache = Cache(dir);

        var (rebuilt, hit) = await cache.GetOrWriteAsync(writer, Entries(source), CancellationToken.None);

        Assert.False(hit);
        Assert.Equal(1, cache.VerifiedBlobs);
        Assert.Equal(layer.Digest, rebuilt.Digest);
    }

    [Fact]
    public async Task AFifoInTheBlobsPlace_IsNotOpened_AndTheLayerIsRebuilt()
    {
        using var dir = new TestDirectory();
        var source = Source(dir, "abc");
        var writer = new LayerWriter();
        var (layer, _) = await Cache(dir).GetOrWriteAsync(writer, Entries(source), CancellationToken.None);
        File.Delete(layer.BlobPath);
        Assert.Equal(0, TinyImage.Tests.Integration.Run.Process("mkfifo", [layer.BlobPath]).ExitCode);

        var lookup = Cache(dir).GetOrWriteAsync(writer, Entries(source), CancellationToken.None);
        var finished = await Task.WhenAny(lookup, Task.Delay(TimeSpan.FromMinutes(1)));

        Assert.Same(lookup, finished); // opening the FIFO would block for ever
        var (rebuilt, hit) = await lookup;
        Assert.False(hit);
        Assert.Equal(layer.Digest, rebuilt.Digest);
        Assert.True(File.Exists(rebuilt.BlobPath) && HostFileStatus.StampOf(rebuilt.BlobPath) is not null);
    }

    [Fact]
    public async Task Measurements_AreNotLayers_AndAPruneRemovesThem()
    {
        using var dir = new TestDirectory();
        var source = Source(dir, "abc");
        var cache = Cache(dir);
        var (layer, _) = await cache.GetOrWriteAsync(new LayerWriter(), Entries(source), CancellationToken.None);

        var usage = cache.Measure();
        await cache.PruneAsync(long.MaxValue, waiting: null, CancellationToken.None);

        Assert.Equal(1, usage.Layers);
        Assert.True(File.Exists(layer.BlobPath));
        Assert.Empty(Measurements(cache.Directory));
    }

    [Fact]
    public void AStamp_IsReadWithoutFollowingALink_AndOnlyOfARegularFile()
    {
        using var dir = new TestDirectory();
        var file = dir.Write("f", [1, 2, 3]);
        File.CreateSymbolicLink(dir.File("link"), file);

        var stamp = HostFileStatus.StampOf(file);

        Assert.NotNull(stamp);
        Assert.Equal(3, stamp.Value.Size);
        Assert.Null(HostFileStatus.StampOf(dir.File("link")));
        Assert.Null(HostFileStatus.StampOf(dir.Path));
        Assert.Null(HostFileStatus.StampOf(dir.File("missing")));
        Assert.True(FileStamp.TryParse(stamp.Value.ToString(), out var parsed) && parsed == stamp.Value);
        Assert.False(stamp.Value.IsSettled(DateTimeOffset.UtcNow));
        Assert.True(stamp.Value.IsSettled(DateTimeOffset.UtcNow + FileStamp.SettleTime + TimeSpan.FromSeconds(1)));
    }
}
