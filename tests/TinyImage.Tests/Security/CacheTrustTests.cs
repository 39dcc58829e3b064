using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Security;

/// <summary>
/// Issue 8, finding 2: a cache directory someone else could write holds entries anyone could have planted (the
/// recipe cache holds code tinyrun runs). tinyrun refuses such a directory with one line, and never "repairs" it.
/// These tests run as root, as the suite does: uid 65534 (nobody) stands for another user.
/// </summary>
public sealed class CacheTrustTests
{
    private const string Recipe = "From.Scratch().AddText(\"/a\", \"a\").Tag(\"trust:1\")\n";
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static ProcessResult Build(TempDirectory dir, string cache, params string[] extra) =>
        Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = cache }, dir.Path, ["r.tiny.csx", "--quiet", .. extra]);

    private static void Chown(string path, string owner)
    {
        var result = Run.Process("chown", [owner, path]);
        Assert.True(result.ExitCode == 0, $"these tests run as root (chown {owner} {path}): {result}");
    }

    private static void AssertRefused(ProcessResult result, string directory, string remedy)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith("tinyrun: ", line);
        Assert.Contains(directory, line);
        Assert.Contains(remedy, line);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Finding02_RecipeCacheOwnedByAnotherUserIsRefused()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        var cache = dir.Combine("cache");
        var first = Build(dir, cache);
        Assert.True(first.ExitCode == 0, first.ToString()); // the entry is there: a run would use it

        Chown(cache, "65534");
        var refused = Build(dir, cache);

        AssertRefused(refused, cache, "belongs to uid 65534");
        Assert.Contains("TINYRUN_CACHE", refused.Stderr);
        // Not "--no-cache": the layer cache is in the same directory, and is refused the same way with --no-cache.
        Assert.DoesNotContain("--no-cache", refused.Stderr);
    }

    [Fact]
    public void Finding02_WorldWritableRecipeCacheIsRefusedNotChmodded()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        var cache = dir.Combine("cache");
        Directory.CreateDirectory(cache);
        File.SetUnixFileMode(cache, Private | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        var refused = Build(dir, cache);

        AssertRefused(refused, cache, "can be written by others (mode 0777)");
        Assert.Equal((UnixFileMode)0x1FF, File.GetUnixFileMode(cache)); // left as it was: chmod would bless planted entries
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache));
    }

    [Fact]
    public void Finding02_CacheUnderADirectoryOthersCanWriteIsRefused()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        var shared = dir.Combine("shared");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, Private | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        AssertRefused(Build(dir, Path.Combine(shared, "cache")), shared, "no sticky bit");

        // Sticky and owned by root, as /tmp is: others cannot replace what is ours in it.
        File.SetUnixFileMode(shared, Private | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit);
        var accepted = Build(dir, Path.Combine(shared, "cache"));
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
    }

    [Fact]
    public void Finding02_LayerCacheUnderAnotherUsersDirectoryIsRefusedEvenWithNoCache()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        var cache = dir.Combine("cache");
        Directory.CreateDirectory(cache);
        Chown(cache, "65534");

        var refused = Build(dir, cache, "--no-cache");

        AssertRefused(refused, Path.Combine(cache, "layers"), $"inside {cache}, which belongs to uid 65534");
        Assert.False(Directory.Exists(dir.Combine("out")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache)); // nothing made in a directory that is not ours
    }

    [Fact]
    public void Finding02_CacheReachedThroughALinkIsCheckedWhereItReallyIs()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        var theirs = dir.Combine("theirs");
        Directory.CreateDirectory(theirs);
        Chown(theirs, "65534");
        File.CreateSymbolicLink(dir.Combine("cache"), theirs);

        AssertRefused(Build(dir, dir.Combine("cache")), dir.Combine("cache"), "belongs to uid 65534");
    }
}
