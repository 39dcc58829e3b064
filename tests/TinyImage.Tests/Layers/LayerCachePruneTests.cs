using System.Diagnostics;
using TinyImage.Core.Build;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Layers;

/// <summary>What killed builds leave behind is swept; the layer cache is bounded by <c>tinyrun cache prune</c>.</summary>
public sealed class LayerCachePruneTests
{
    private static readonly TimeSpan TwoHours = TimeSpan.FromHours(2);

    private static IReadOnlyList<FileEntry> Entries(string name, int size)
    {
        var tree = new FileTree();
        tree.Add(FileEntry.Inline("/" + name, Enumerable.Range(0, size).Select(i => (byte)(i * 31 + name.Length)).ToArray(), 0x1A4, "test"));
        return tree.Entries();
    }

    private static string Stale(string path, bool directory = false)
    {
        if (directory)
        {
            Directory.CreateDirectory(path);
            File.WriteAllBytes(Path.Combine(path, ".tinyimage-layer-x.tmp"), new byte[100]);
            Directory.SetLastWriteTimeUtc(path, DateTime.UtcNow - TwoHours);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[100]);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - TwoHours);
        }
        return path;
    }

    [Fact]
    public async Task Finding14_TemporaryFilesOfKilledBuilds_AreSweptByTheNextBuild_ButNeverThoseOfARunningBuild()
    {
        using var dir = new TestDirectory();
        var cacheDirectory = dir.File("cache");
        var compressor = Path.Combine(cacheDirectory, new LayerOptions().CompressorName);
        var output = dir.File("out/img.tar");
        var staleLayer = Stale(Path.Combine(compressor, ".tinyimage-layer-aaaaaaaa.aaa.tmp"));
        var staleDigest = Stale(Path.Combine(compressor, ".0123.bbbbbbbb.bbb.tmp"));
        var runningLayer = Stale(Path.Combine(compressor, ".tinyimage-layer-cccccccc.ccc.tmp"));
        var recentLayer = Path.Combine(compressor, ".tinyimage-layer-dddddddd.ddd.tmp");
        File.WriteAllBytes(recentLayer, [1]);
        var staleArchive = Stale(dir.File("out/.img.tar.eeeeeeee.eee.tmp"));
        var runningArchive = Stale(dir.File("out/.img.tar.ffffffff.fff.tmp"));
        var otherArchive = Stale(dir.File("out/.other.tar.gggggggg.ggg.tmp"));
        var staleScratch = Stale(dir.File("out/.tinyimage-layers-hhhhhhhh.hhh"), directory: true);
        var runningScratch = Stale(dir.File("out/.tinyimage-layers-iiiiiiii.iii"), directory: true);
        var notOurs = Stale(dir.File("out/.notes.tmp"));
        // A running build holds its temporary files, and its scratch directory's lock file, with an exclusive lock.
        using var layerHeld = new FileStream(runningLayer, FileMode.Open, FileAccess.Write, FileShare.None);
        using var archiveHeld = new FileStream(runningArchive, FileMode.Open, FileAccess.Write, FileShare.None);
        using var scratchHeld = new FileStream(Path.Combine(runningScratch, ".lock"), FileMode.Create, FileAccess.Write, FileShare.None);
        Directory.SetLastWriteTimeUtc(runningScratch, DateTime.UtcNow - TwoHours);

        var pipeline = new ImagePipeline(new ImagePipelineOptions { LayerCacheDirectory = cacheDirectory });
        await pipeline.BuildAsync(Entries("motd", 1000), new ImageConfig(), "amd64", ImageReference.Parse("img:1"), output, CancellationToken.None);

        foreach (var gone in new[] { staleLayer, staleDigest, staleArchive }) Assert.False(File.Exists(gone), gone);
        Assert.False(Directory.Exists(staleScratch));
        foreach (var kept in new[] { runningLayer, recentLayer, runningArchive, otherArchive, notOurs }) Assert.True(File.Exists(kept), kept);
        Assert.True(Directory.Exists(runningScratch));
        Assert.True(File.Exists(output));
    }

    [Fact]
    public async Task Finding14_AfterKill9_TheNextBuildLeavesNoTemporaryFileOlderThanAnHour()
    {
        using var dir = new TempDirectory();
        var big = dir.Combine("big.bin");
        var bytes = new byte[96 << 20];
        new Random(14).NextBytes(bytes); // incompressible: several seconds of gzip
        File.WriteAllBytes(big, bytes);
        bytes = [];
        var recipe = dir.Write("big.tiny.csx", "From.Scratch().AddFile(\"big.bin\", \"/big.bin\", 644).Tag(\"big:1\")\n");
        var cache = dir.Combine("cache");

        // Killed while compressing the layer into the cache, then while writing the archive into out/.
        // On a busy machine the poll can miss the moment; then the build finished, and it is tried again from the same state.
        await KillWhenAsync(dir.Path, cache, () => Temporary(dir.Combine("cache/layers")).Any(),
            beforeRetry: () => { Directory.Delete(dir.Combine("cache/layers"), recursive: true); Directory.Delete(dir.Combine("out"), recursive: true); });
        Assert.NotEmpty(Temporary(dir.Combine("cache/layers")));
        // The build killed next may already sweep that one (it is unlocked, and on a busy machine over a second old).
        await KillWhenAsync(dir.Path, cache, () => Temporary(dir.Combine("out")).Any());
        Assert.NotEmpty(Temporary(dir.Combine("out")));
        var left = Temporary(dir.Path).ToList();
        foreach (var file in left) File.SetLastWriteTimeUtc(file, DateTime.UtcNow - TwoHours); // an hour later
        var next = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = cache }, dir.Path, recipe);

        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Empty(Temporary(dir.Path));
    }

    [Fact]
    public async Task Finding14_PruneEvictsTheLeastRecentlyUsedLayers_DownToTheLimit()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var writer = new LayerWriter();
        var (a, _) = await cache.GetOrWriteAsync(writer, Entries("a", 3000), CancellationToken.None);
        var (b, _) = await cache.GetOrWriteAsync(writer, Entries("b", 3000), CancellationToken.None);
        var (c, _) = await cache.GetOrWriteAsync(writer, Entries("c", 3000), CancellationToken.None);
        File.SetLastAccessTimeUtc(a.BlobPath, DateTime.UtcNow - TimeSpan.FromHours(3));
        File.SetLastAccessTimeUtc(b.BlobPath, DateTime.UtcNow - TimeSpan.FromHours(2));
        File.SetLastAccessTimeUtc(c.BlobPath, DateTime.UtcNow - TimeSpan.FromHours(1));
        Assert.True((await cache.GetOrWriteAsync(writer, Entries("a", 3000), CancellationToken.None)).Hit); // a is now the most recently used
        var stale = Stale(Path.Combine(Path.GetDirectoryName(a.BlobPath)!, ".tinyimage-layer-xxxxxxxx.xxx.tmp"));
        var before = cache.Measure();
        var (bytesA, bytesB, bytesC) = (Bytes(a), Bytes(b), Bytes(c));

        var (removed, left) = await cache.PruneAsync(bytesA + bytesC, waiting: null, CancellationToken.None);

        Assert.Equal(new LayerCacheUsage(3, bytesA + bytesB + bytesC, 100), before);
        Assert.Equal(new LayerCacheUsage(1, bytesB, 100), removed);
        Assert.Equal(new LayerCacheUsage(2, bytesA + bytesC, 0), left);
        Assert.False(File.Exists(b.BlobPath) || File.Exists(b.BlobPath + ".digest") || File.Exists(stale));
        Assert.True(File.Exists(a.BlobPath) && File.Exists(c.BlobPath));

        var (all, none) = await cache.PruneAsync(0, waiting: null, CancellationToken.None);

        Assert.Equal(2, all.Layers);
        Assert.Equal(new LayerCacheUsage(0, 0, 0), none);
        Assert.Equal(new LayerCacheUsage(0, 0, 0), cache.Measure());
    }

    [Fact]
    public async Task Finding14_PruneWaitsForARunningBuild_AndNeverRemovesABlobItUses()
    {
        using var dir = new TestDirectory();
        var cache = new LayerCache(dir.File("cache"));
        var build = await cache.LeaseAsync(CancellationToken.None);
        var (layer, _) = await cache.GetOrWriteAsync(new LayerWriter(), Entries("a", 3000), CancellationToken.None);
        var waiting = new TaskCompletionSource();

        var prune = cache.PruneAsync(0, () => waiting.TrySetResult(), CancellationToken.None);
        await waiting.Task.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.False(prune.IsCompleted);
        Assert.True(File.Exists(layer.BlobPath));
        build.Dispose();
        var (removed, _) = await prune.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, removed.Layers);
        Assert.False(File.Exists(layer.BlobPath));
    }

    [Fact]
    public void Finding14_TinyrunCache_ShowsTheLayerCache_AndPruneEvictsIt()
    {
        using var dir = new TempDirectory();
        var recipe = dir.Write("p.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"prune:1\")\n");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, recipe).ExitCode);

        var shown = Run.Tinyrun(env, dir.Path, "cache");
        var kept = Run.Tinyrun(env, dir.Path, "cache", "prune", "--max-size", "1GB");
        var emptied = Run.Tinyrun(env, dir.Path, "cache", "prune", "--all");
        var wrong = Run.Tinyrun(env, dir.Path, "cache", "prune", "--max-size", "lots");

        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Matches($@"^cache: {System.Text.RegularExpressions.Regex.Escape(dir.Combine("cache"))}  \S+ \S+\n  layers: {System.Text.RegularExpressions.Regex.Escape(dir.Combine("cache/layers"))}  1 layer, \d+ B\n", shown.Stdout);
        Assert.Contains($"\n  compiled recipes: {dir.Combine("cache")}  1 recipe, ", shown.Stdout);
        Assert.StartsWith("removed 0 layers (0 B), 0 B of temporary files and 0 unused compiled recipes (0 B); ", kept.Stdout);
        Assert.Matches(@"^removed 1 layer \(\d+ B\), 0 B of temporary files and 0 unused compiled recipes \(0 B\); \S+ holds 0 layers, 0 B\n$", emptied.Stdout);
        Assert.Equal(2, wrong.ExitCode);
        Assert.Equal("tinyrun: --max-size 'lots' is not a size; give e.g. 500MB, 2GB, 1GiB or 0\n", wrong.Stderr);
    }

    [Fact]
    public void Prune_removes_the_compiled_recipes_a_recompile_left_and_keeps_the_current_one()
    {
        using var dir = new TempDirectory();
        var recipe = dir.Write("p.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"prune:2\")\n");
        var cache = dir.Combine("cache");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = cache };
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, recipe).ExitCode);
        var first = Directory.GetFiles(cache, "*.dll").Concat(Directory.GetFiles(cache, "*.pdb")).ToList();
        Assert.Equal(2, first.Count);
        foreach (var file in first) File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-5)); // old enough to go
        dir.Write("p.tiny.csx", "From.Scratch().AddText(\"/a\", \"b\").Tag(\"prune:2\")\n");
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, recipe).ExitCode); // compiled again: the first assembly is no longer named

        var shown = Run.Tinyrun(env, dir.Path, "cache");
        var pruned = Run.Tinyrun(env, dir.Path, "cache", "prune");
        var again = Run.Tinyrun(env, dir.Path, recipe, "-v");

        Assert.Matches(@"\n  compiled recipes: \S+  1 recipe, \S+ \S+ \(and 1 no longer used, \S+ \S+: tinyrun cache prune removes them\)\n", shown.Stdout);
        Assert.Contains(" and 1 unused compiled recipe (", pruned.Stdout);
        Assert.All(first, file => Assert.False(File.Exists(file), file));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("recipe from the cache", again.Stderr); // the current one is kept
    }

    [Fact]
    public void Prune_removes_the_compiled_recipe_of_a_recipe_file_that_is_gone()
    {
        using var dir = new TempDirectory();
        var recipe = dir.Write("gone.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"prune:3\")\n");
        var kept = dir.Write("kept.tiny.csx", "From.Scratch().AddText(\"/k\", \"k\").Tag(\"prune:4\")\n");
        var cache = dir.Combine("cache");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = cache };
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, recipe).ExitCode);
        Assert.Equal(0, Run.Tinyrun(env, dir.Path, kept).ExitCode);
        foreach (var file in Directory.GetFiles(cache)) File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-5));
        File.Delete(recipe);

        var pruned = Run.Tinyrun(env, dir.Path, "cache", "prune");
        var shown = Run.Tinyrun(env, dir.Path, "cache");

        Assert.Contains(" and 1 unused compiled recipe (", pruned.Stdout);
        Assert.Single(Directory.GetFiles(cache, "*.json"));
        Assert.Single(Directory.GetFiles(cache, "*.dll"));
        Assert.Contains("  compiled recipes: ", shown.Stdout);
        Assert.Contains(" 1 recipe, ", shown.Stdout);
        Assert.Contains("recipe from the cache", Run.Tinyrun(env, dir.Path, kept, "-v").Stderr);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1048576", 1048576L)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("500 mb", 500_000_000L)]
    [InlineData("2G", 2_000_000_000L)]
    [InlineData("1.5GiB", 1_610_612_736L)]
    [InlineData("300k", 300_000L)]
    [InlineData("lots", null)]
    [InlineData("-1", null)]
    [InlineData("1XB", null)]
    public void Finding14_MaxSizeIsParsedInTheUnitsTinyrunPrints(string text, long? bytes) =>
        Assert.Equal(bytes, TinyImage.Runner.CacheCommand.ParseSize(text));

    private static long Bytes(Layer layer) => new FileInfo(layer.BlobPath).Length + new FileInfo(layer.BlobPath + ".digest").Length;

    /// <summary>Every temporary file under <paramref name="directory"/>: a dot name ending in .tmp.</summary>
    private static IEnumerable<string> Temporary(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, ".*.tmp", SearchOption.AllDirectories)
            : [];

    /// <summary>Starts a build and kills it (SIGKILL) once <paramref name="condition"/> holds; a build that finishes first is started again, up to 5 times.</summary>
    private static async Task KillWhenAsync(string workingDirectory, string cache, Func<bool> condition, Action? beforeRetry = null)
    {
        for (var attempt = 1; !await TryKillWhenAsync(workingDirectory, cache, condition); attempt++)
        {
            Assert.True(attempt < 5, "the build finished before it could be killed at that point, 5 times");
            beforeRetry?.Invoke();
        }
    }

    private static async Task<bool> TryKillWhenAsync(string workingDirectory, string cache, Func<bool> condition)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "tinyrun.dll"), "big.tiny.csx" }) start.ArgumentList.Add(arg);
        start.Environment["TINYRUN_CACHE"] = cache;
        using var build = Process.Start(start)!;
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (build.HasExited)
            {
                await build.WaitForExitAsync();
                return false;
            }
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(2), "the build never reached the point to kill it at");
            await Task.Delay(2);
        }
        build.Kill(); // SIGKILL
        await build.WaitForExitAsync();
        return true;
    }
}
