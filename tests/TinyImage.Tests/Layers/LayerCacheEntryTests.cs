using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;

namespace TinyImage.Tests.Layers;

/// <summary>The layer cache's files: the digest file, failures to store, access times, arguments, usage and sweeping.</summary>
public sealed class LayerCacheEntryTests
{
    private static IReadOnlyList<FileEntry> Entries(string text) => CacheEntries.Of(text);

    private static string[] Temporary(string directory) => CacheEntries.Temporary(directory);

    [Fact]
    public async Task AnEntry_IsTheBlobNamedByItsDiffId_AndADigestFileOfItsDigestAndSize()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();

        var (layer, hit) = await cache.GetOrWriteAsync(writer, Entries("a"), CancellationToken.None);

        Assert.False(hit);
        Assert.Equal(Path.Combine(cache.Directory, writer.Options.CompressorName, layer.DiffId.Hex), layer.BlobPath);
        Assert.Equal($"{layer.Digest} {layer.Size}\n", File.ReadAllText(layer.BlobPath + ".digest"));
        Assert.Equal(layer.Size, new FileInfo(layer.BlobPath).Length);
        Assert.Empty(Temporary(cache.Directory));
        var directoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(directoryMode, File.GetUnixFileMode(Path.GetDirectoryName(layer.BlobPath)!));
    }

    [Theory]
    [InlineData("{0}\n")]          // no size
    [InlineData("{0} -{1}\n")]     // a sign
    [InlineData("{0} {1}0\n")]     // another size than the blob's
    [InlineData("{0} {1} x\n")]    // three fields
    [InlineData("sha256:zz {1}\n")] // not a digest
    public async Task ADigestFileThatDoesNotDescribeTheBlob_IsReplaced_AndTheLayerRebuilt(string format)
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var (good, _) = await cache.GetOrWriteAsync(writer, Entries("b"), CancellationToken.None);
        File.WriteAllText(good.BlobPath + ".digest", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, good.Digest, good.Size));

        var (layer, hit) = await cache.GetOrWriteAsync(writer, Entries("b"), CancellationToken.None);

        Assert.False(hit);
        Assert.Equal((good.Digest, good.Size), (layer.Digest, layer.Size));
        Assert.Equal($"{good.Digest} {good.Size}\n", File.ReadAllText(layer.BlobPath + ".digest"));
    }

    [Fact]
    public async Task ADigestFileWithSpacesAround_StillDescribesTheBlob()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var (good, _) = await cache.GetOrWriteAsync(writer, Entries("c"), CancellationToken.None);
        File.WriteAllText(good.BlobPath + ".digest", $"  {good.Digest} {good.Size}  \n\n");

        Assert.True((await cache.GetOrWriteAsync(writer, Entries("c"), CancellationToken.None)).Hit);
    }

    [Fact]
    public async Task ABlobWithoutADigestFile_IsNotUsed()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var (good, _) = await cache.GetOrWriteAsync(writer, Entries("d"), CancellationToken.None);
        File.Delete(good.BlobPath);

        var (layer, hit) = await cache.GetOrWriteAsync(writer, Entries("d"), CancellationToken.None);

        Assert.False(hit); // the digest file alone is no entry
        Assert.Equal(good.Digest, layer.Digest);
        Assert.True(File.Exists(layer.BlobPath));
    }

    [Theory]
    [InlineData(false)] // the blob cannot be renamed into place
    [InlineData(true)]  // the digest file cannot be renamed into place
    public async Task AStoreThatFails_IsAOneLineUserError_AndLeavesNoTemporaryFile(bool digestFails)
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var content = await writer.MeasureAsync(Entries("e"), CancellationToken.None);
        var blocked = Path.Combine(cache.Directory, writer.Options.CompressorName, content.DiffId.Hex) + (digestFails ? ".digest" : "");
        Directory.CreateDirectory(Path.Combine(blocked, "in-the-way")); // a non-empty directory where the file must go

        var error = await Assert.ThrowsAsync<TinyImageException>(() => cache.GetOrWriteAsync(writer, Entries("e"), CancellationToken.None));

        Assert.StartsWith($"cannot store a layer in the cache '{Path.GetDirectoryName(blocked)}': ", error.Message);
        Assert.EndsWith("; fix its permissions or set TINYRUN_CACHE", error.Message);
        Assert.Empty(Temporary(cache.Directory));
    }

    [Fact]
    public async Task AHit_MarksTheBlobAsJustUsed()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var (layer, _) = await cache.GetOrWriteAsync(writer, Entries("f"), CancellationToken.None);
        var old = DateTime.UtcNow - TimeSpan.FromDays(3);
        File.SetLastAccessTimeUtc(layer.BlobPath, old);

        Assert.True((await cache.GetOrWriteAsync(writer, Entries("f"), CancellationToken.None)).Hit);

        Assert.True(File.GetLastAccessTimeUtc(layer.BlobPath) > old + TimeSpan.FromDays(2));
    }

    [Fact]
    public async Task BadArguments_AreRefused_AndACancelledLookupCreatesNothing()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        Assert.Throws<ArgumentException>("directory", () => new LayerCache(""));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.GetOrWriteAsync(null!, Entries("g"), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.GetOrWriteAsync(new LayerWriter(), null!, CancellationToken.None));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetOrWriteAsync(new LayerWriter(), Entries("g"), cancelled.Token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.PruneAsync(-1, null, CancellationToken.None));
        Assert.False(Directory.Exists(cache.Directory));
    }

    [Fact]
    public void TheDirectory_IsAbsolute_AndTheDefaultIsLayersUnderTheCacheRoot()
    {
        var relative = new LayerCache("some/cache");

        Assert.Equal(Path.GetFullPath("some/cache"), relative.Directory);
        Assert.Equal(Path.Combine(CacheLocation.Root(), "layers"), LayerCache.DefaultDirectory());
    }

    [Fact]
    public async Task ACacheThatWasNeverWritten_IsEmpty_AndPruningItCreatesNothing()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("never"));

        var usage = cache.Measure();
        var (removed, left) = await cache.PruneAsync(0, null, CancellationToken.None);
        cache.SweepStaleTemporaryFiles();

        Assert.Equal(new LayerCacheUsage(0, 0, 0), usage);
        Assert.Equal((new LayerCacheUsage(0, 0, 0), new LayerCacheUsage(0, 0, 0)), (removed, left));
        Assert.False(Directory.Exists(cache.Directory));
    }

    [Fact]
    public async Task Measure_CountsLayersWithTheirDigestFiles_AndTemporaryBytes_AndDropsDigestFilesWithoutABlob()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var (a, _) = await cache.GetOrWriteAsync(writer, Entries("h"), CancellationToken.None);
        var (b, _) = await cache.GetOrWriteAsync(writer, Entries("i"), CancellationToken.None);
        var compressor = Path.GetDirectoryName(a.BlobPath)!;
        File.WriteAllBytes(Path.Combine(compressor, ".tinyimage-layer-x.tmp"), new byte[123]);
        var orphan = Path.Combine(compressor, new string('0', 64) + ".digest");
        File.WriteAllText(orphan, "sha256:" + new string('0', 64) + " 1\n");

        var usage = cache.Measure();

        static long Bytes(Layer layer) => layer.Size + new FileInfo(layer.BlobPath + ".digest").Length;
        Assert.Equal(new LayerCacheUsage(2, Bytes(a) + Bytes(b), 123), usage);
        Assert.False(File.Exists(orphan));
    }

    [Fact]
    public void Sweeping_RemovesOnlyUnlockedTemporaryFiles_OlderThanTheGivenAge_AndNeverYoungerThanASecond()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var compressor = Path.Combine(cache.Directory, "gzip-x");
        Directory.CreateDirectory(compressor);
        string Temp(string name, TimeSpan age)
        {
            var path = Path.Combine(compressor, name);
            File.WriteAllBytes(path, [1]);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
            return path;
        }
        var fresh = Temp(".fresh.tmp", TimeSpan.Zero);
        var minutes = Temp(".minutes.tmp", TimeSpan.FromMinutes(5));
        var hours = Temp(".hours.tmp", TimeSpan.FromHours(2));
        var notOurs = Temp("keep.tmp", TimeSpan.FromHours(2));

        cache.SweepStaleTemporaryFiles(TimeSpan.FromHours(1));
        Assert.Equal((true, true, false, true), (File.Exists(fresh), File.Exists(minutes), File.Exists(hours), File.Exists(notOurs)));

        cache.SweepStaleTemporaryFiles(TimeSpan.Zero); // at least the minimum age: the fresh file stays
        Assert.Equal((true, false, true), (File.Exists(fresh), File.Exists(minutes), File.Exists(notOurs)));
    }

    [Fact]
    public async Task TheFirstLookup_SweepsKilledBuildsFiles_OncePerCache()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var compressor = Path.Combine(cache.Directory, writer.Options.CompressorName);
        Directory.CreateDirectory(compressor);
        string Stale(string name)
        {
            var path = Path.Combine(compressor, name);
            File.WriteAllBytes(path, [1]);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - TimeSpan.FromHours(2));
            return path;
        }
        var first = Stale(".first.tmp");

        await cache.GetOrWriteAsync(writer, Entries("j"), CancellationToken.None);
        Assert.False(File.Exists(first));
        var second = Stale(".second.tmp");
        await cache.GetOrWriteAsync(writer, Entries("k"), CancellationToken.None);

        Assert.True(File.Exists(second)); // swept by the next build, not again by this one
    }

    [Fact]
    public async Task ALease_CreatesThePrivateCacheDirectory()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("new/cache"));

        using (await cache.LeaseAsync(CancellationToken.None))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cache.Directory));
    }
}
