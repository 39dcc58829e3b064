namespace TinyImage.Tests.Integration;

/// <summary>
/// Issue 8, finding 7: a recipe that exits the process, one with no code, and one that loads itself: tinyrun never
/// reports success having done nothing, always says why it failed, and builds each image once.
/// </summary>
public sealed class RecipeExitTests
{
    private static ProcessResult Tinyrun(TempDirectory dir, params string[] args) =>
        Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") }, dir.Path, args);

    private static void AssertExitReported(ProcessResult result)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("tinyrun: the recipe called Environment.Exit(0) before tinyrun finished", result.Stderr);
    }

    [Fact]
    public void Finding07_EnvironmentExitInARecipeFailsBuildTestAndVerify()
    {
        using var dir = new TempDirectory();
        dir.Write("good.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"good:1\")\n");
        Assert.Equal(0, Tinyrun(dir, "good.tiny.csx", "--quiet").ExitCode);
        dir.Write("exit.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"exit:1\")\n    .Test(\"fails\", \"/nonexistent\");\nSystem.Environment.Exit(0);\n");

        AssertExitReported(Tinyrun(dir, "exit.tiny.csx")); // compiled
        AssertExitReported(Tinyrun(dir, "exit.tiny.csx")); // from the recipe cache, without Roslyn
        Assert.False(File.Exists(dir.Combine("out/exit.tar")));
        AssertExitReported(Tinyrun(dir, "test", "exit.tiny.csx"));
        AssertExitReported(Tinyrun(dir, "verify", "exit.tiny.csx", "out/good.tar"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("// a recipe to come\n/* nothing yet */\n")]
    [InlineData("using System.Text;\n")]
    public void Finding07_EmptyOrCommentOnlyRecipeIsAClearError(string text)
    {
        using var dir = new TempDirectory();
        dir.Write("empty.tiny.csx", text);

        var result = Tinyrun(dir, "empty.tiny.csx");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("tinyrun: empty.tiny.csx: the recipe has no code (it is empty or only comments), so it defines no image; start one with From.Scratch(), e.g. From.Scratch().AddBinary(\"/bin/ls\").WithLibs()",
            result.Stderr.Trim());
    }

    [Fact]
    public void Finding07_RecipeThatLoadsItselfBuildsEachImageOnce()
    {
        using var dir = new TempDirectory();
        dir.Write("self.tiny.csx", "#load \"self.tiny.csx\"\nFrom.Scratch().AddText(\"/self\", \"a\").Tag(\"self:1\");\n");
        dir.Write("a.tiny.csx", "#load \"lib/b.tiny.csx\"\nFrom.Scratch().AddText(\"/a\", \"a\").Tag(\"a:1\");\n");
        dir.Write("lib/b.tiny.csx", "#load \"../a.tiny.csx\"\n#load \"../a.tiny.csx\"\nFrom.Scratch().AddText(\"/b\", \"b\").Tag(\"b:1\");\n");

        var self = Tinyrun(dir, "self.tiny.csx", "--quiet");
        Assert.True(self.ExitCode == 0, self.ToString());
        Assert.Equal(["self:1"], self.Stdout.Trim().Split('\n').Select(l => l.Split(' ')[0]));

        // A cycle through another file, as Roslyn loads a file once however often it is #loaded.
        var cycle = Tinyrun(dir, "a.tiny.csx", "--quiet");
        Assert.True(cycle.ExitCode == 0, cycle.ToString());
        Assert.Equal(["b:1", "a:1"], cycle.Stdout.Trim().Split('\n').Select(l => l.Split(' ')[0]));
    }
}
