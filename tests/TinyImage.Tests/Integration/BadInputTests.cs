namespace TinyImage.Tests.Integration;

/// <summary>Mistakes a user can make get one clear error, exit 1 and no damage.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void Two_images_that_would_overwrite_each_others_archive_are_refused()
    {
        using var dir = new TempDirectory();
        dir.Write("clash.tiny.csx", "var b = From.Scratch().AddText(\"/a\", \"a\");\nb.Tag(\"app:1\");\nb.AddText(\"/b\", \"b\").Tag(\"app:2\");\n");
        var result = Run.Tinyrun(dir.Path, "clash.tiny.csx");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("app:1 and app:2 would both be written to", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void Sh_gets_no_input_and_a_failure_shows_only_the_last_lines_of_a_long_output()
    {
        using var dir = new TempDirectory();
        dir.Write("stdin.tiny.csx", "Sh(\"cat\");\nFrom.Scratch().Tag(\"stdin:1\")\n");
        var stdin = Run.Tinyrun(dir.Path, "stdin.tiny.csx");
        Assert.True(stdin.ExitCode == 0, stdin.ToString());

        dir.Write("noisy.tiny.csx", "Sh(\"seq 1 100000; exit 4\");\nFrom.Scratch()\n");
        var noisy = Run.Tinyrun(dir.Path, "noisy.tiny.csx");
        Assert.Equal(1, noisy.ExitCode);
        Assert.Contains("exit code 4", noisy.Stderr);
        Assert.Contains("(last 60 lines; 99940 before them not shown)", noisy.Stderr);
        Assert.EndsWith("    100000\n", noisy.Stderr);
        Assert.True(noisy.Stderr.Length < 4000, $"the error is {noisy.Stderr.Length} characters long");
    }

    [Fact]
    public void An_output_in_an_unwritable_place_is_a_one_line_error()
    {
        using var dir = new TempDirectory();
        var result = Run.Tinyrun(Run.RepoRoot, "recipes/scratch.tiny.csx", "--output", "/proc/tinyimage/empty.tar", "--quiet");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("tinyrun: ", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
