using TinyImage.Core.Sinks;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Sinks;

/// <summary>
/// The guess whether a build gives another image than the one its last load left in the engine (issue 10): it says
/// yes only on a record that says so, and a damaged, hostile or missing record is no guess at all.
/// </summary>
public sealed class LoadHistoryTests
{
    private const string Id = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    [Fact]
    public void A_recorded_image_is_guessed_changed_when_a_file_it_was_made_from_or_its_context_changes()
    {
        using var dir = new TempDirectory();
        var (history, recipe) = NewHistory(dir);
        var app = dir.Write("app", "1");
        history.Record(recipe, 0, "app:1", "ctx", Id, [app]);

        Assert.False(history.LikelyChanged(recipe, 0, "app:1", "ctx", Id));
        Assert.True(history.LikelyChanged(recipe, 0, "app:1", "ctx", Id.Replace('1', '2')), "the engine has another image under the name");
        Assert.True(history.LikelyChanged(recipe, 0, "app:1", "other arguments", Id));
        Assert.False(history.LikelyChanged(recipe, 0, "app:2", "ctx", Id), "another name: no record of it, no guess");
        Assert.False(history.LikelyChanged(recipe, 1, "app:1", "ctx", Id), "another image of the recipe: no record of it");

        File.WriteAllText(app, "22");
        Assert.True(history.LikelyChanged(recipe, 0, "app:1", "ctx", Id));
        history.Record(recipe, 0, "app:1", "ctx", Id, [app]);
        Assert.False(history.LikelyChanged(recipe, 0, "app:1", "ctx", Id));
        File.Delete(app);
        Assert.True(history.LikelyChanged(recipe, 0, "app:1", "ctx", Id));
    }

    [Fact]
    public void Recording_the_same_image_again_leaves_its_record_as_it_is()
    {
        using var dir = new TempDirectory();
        var (history, recipe) = NewHistory(dir);
        history.Record(recipe, 0, "app:1", "ctx", Id, []);
        var before = TinyImage.Core.FileSystem.HostFileStatus.StampOf(history.RecordPath(recipe, 0));
        history.Record(recipe, 0, "app:1", "ctx", Id, []);
        Assert.Equal(before, TinyImage.Core.FileSystem.HostFileStatus.StampOf(history.RecordPath(recipe, 0)));
        history.Record(recipe, 0, "app:1", "ctx", Id.Replace('1', '2'), []);
        Assert.NotEqual(before, TinyImage.Core.FileSystem.HostFileStatus.StampOf(history.RecordPath(recipe, 0)));
    }

    [Fact]
    public void The_recipe_file_itself_is_one_of_the_files_a_record_watches()
    {
        using var dir = new TempDirectory();
        var (history, recipe) = NewHistory(dir);
        history.Record(recipe, 0, "app:1", "ctx", Id, []);
        File.AppendAllText(recipe, "// edited\n");
        Assert.True(history.LikelyChanged(recipe, 0, "app:1", "ctx", Id));
    }

    [Fact]
    public async Task A_fifo_or_a_link_at_a_record_is_never_read_and_gives_no_guess()
    {
        using var dir = new TempDirectory();
        var (history, recipe) = NewHistory(dir);
        var record = history.RecordPath(recipe, 0);
        Assert.Equal(0, Run.Process("mkfifo", [record]).ExitCode);

        var guess = await Task.Run(() => history.LikelyChanged(recipe, 0, "app:1", "ctx", Id)).WaitAsync(TimeSpan.FromSeconds(30)); // throws if reading it hung
        Assert.False(guess);

        File.Delete(record);
        var elsewhere = dir.Write("elsewhere", "tinyrun-load-history-1\napp:1\n" + Id.Replace('1', '2') + "\nctx\n");
        File.CreateSymbolicLink(record, elsewhere);
        Assert.False(history.LikelyChanged(recipe, 0, "app:1", "ctx", Id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tinyrun-load-history-1\n")]
    [InlineData("tinyrun-load-history-1\napp:1\nsha256:x\nctx")]
    [InlineData("tinyrun-load-history-1\napp:1\nsha256:x\nctx\nnot-a-stamp /bin/ls\n")]
    [InlineData("tinyrun-load-history-1\napp:1\nsha256:x\nctx\n1:2:3:4:5\n")]
    [InlineData("tinyrun-load-history-2\napp:1\nsha256:x\nctx\n")]
    public void A_damaged_record_gives_no_guess(string text)
    {
        using var dir = new TempDirectory();
        var (history, recipe) = NewHistory(dir);
        File.WriteAllText(history.RecordPath(recipe, 0), text);
        Assert.False(history.LikelyChanged(recipe, 0, "app:1", "ctx", Id));
    }

    [Fact]
    public async Task Random_bytes_in_a_record_give_no_guess_and_no_exception()
    {
        using var dir = new TempDirectory();
        var (history, recipe) = NewHistory(dir);
        var random = new Random(10);
        var header = "tinyrun-load-history-1\napp:1\n"u8.ToArray();
        for (var i = 0; i < 300; i++)
        {
            var bytes = new byte[random.Next(0, 400)];
            random.NextBytes(bytes);
            if (i % 2 == 0) bytes = [.. header, .. bytes];
            File.WriteAllBytes(history.RecordPath(recipe, 0), bytes);
            var guess = await Task.Run(() => history.LikelyChanged(recipe, 0, "app:1", "ctx", Id)).WaitAsync(TimeSpan.FromSeconds(30));
            // Without the header it is no record; with it, random lines may even parse, as a record of another image.
            if (i % 2 == 1) Assert.False(guess);
        }
    }

    [Fact]
    public void Prune_removes_the_records_of_recipes_that_are_gone_damaged_ones_and_old_temporary_files()
    {
        using var dir = new TempDirectory();
        var cache = dir.Combine("cache");
        var history = LoadHistory.At(Path.Combine(cache, "loads"));
        var kept = dir.Write("kept.tiny.csx", "From.Scratch();\n");
        var gone = dir.Write("gone.tiny.csx", "From.Scratch();\n");
        history.Record(kept, 0, "kept:1", "ctx", Id, []);
        history.Record(gone, 0, "gone:1", "ctx", Id, []);
        File.Delete(gone);
        File.WriteAllText(Path.Combine(cache, "loads", "damaged"), "tinyrun-load-history-1\n");
        var oldTemporary = Path.Combine(cache, "loads", ".x.abc.tmp");
        var newTemporary = Path.Combine(cache, "loads", ".y.abc.tmp");
        File.WriteAllText(oldTemporary, "x");
        File.SetLastWriteTimeUtc(oldTemporary, DateTime.UtcNow.AddMinutes(-5));
        File.WriteAllText(newTemporary, "y"); // a write in progress

        var (records, bytes) = LoadHistory.Prune(cache);

        Assert.Equal(2, records);
        Assert.True(bytes > 0);
        Assert.True(File.Exists(history.RecordPath(kept, 0)));
        Assert.False(File.Exists(history.RecordPath(gone, 0)));
        Assert.False(File.Exists(Path.Combine(cache, "loads", "damaged")));
        Assert.False(File.Exists(oldTemporary));
        Assert.True(File.Exists(newTemporary));
        Assert.False(history.LikelyChanged(kept, 0, "kept:1", "ctx", Id));
        Assert.Equal((0, 0L), LoadHistory.Prune(dir.Combine("no-cache-here")));
    }

    [Fact]
    public void The_context_differs_with_the_arguments_the_platform_and_nothing_else()
    {
        var one = LoadHistory.Context(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, "");
        Assert.Equal(one, LoadHistory.Context(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" }, ""));
        Assert.NotEqual(one, LoadHistory.Context(new Dictionary<string, string> { ["a"] = "1", ["b"] = "3" }, ""));
        Assert.NotEqual(one, LoadHistory.Context(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, "linux/arm64"));
    }

    /// <summary>An empty history in <paramref name="dir"/>/loads, and a recipe r.tiny.csx for its records.</summary>
    private static (LoadHistory History, string Recipe) NewHistory(TempDirectory dir)
    {
        Directory.CreateDirectory(dir.Combine("loads"));
        return (LoadHistory.At(dir.Combine("loads")), dir.Write("r.tiny.csx", "From.Scratch();\n"));
    }
}
