using TinyImage.Core.FileSystem;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Unit;

/// <summary>Issue 12, point 3: AddDirectory's include and exclude globs.</summary>
public sealed class PathFilterTests
{
    [Theory]
    [InlineData("*.py", "a.py", true)]
    [InlineData("*.py", "json/decoder.py", true)]          // no '/': a name at any depth
    [InlineData("*.py", "json/decoder.pyc", false)]
    [InlineData("json/*.py", "json/decoder.py", true)]
    [InlineData("json/*.py", "lib/json/decoder.py", false)] // with '/': from the top
    [InlineData("**/test/**", "a/test/x.py", true)]
    [InlineData("**/test/**", "test/x.py", true)]
    [InlineData("**/test/**", "a/tests/x.py", false)]
    [InlineData("lib-dynload/*.so", "lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", true)]
    [InlineData("[!_]*.py", "_x.py", false)]
    [InlineData("__pycache__", "a/__pycache__", true)]
    public void A_pattern_matches_a_relative_path_as_documented(string pattern, string path, bool matches)
    {
        Assert.Equal(matches, new PathFilter([pattern], []).Includes(path));
        Assert.Equal(matches, new PathFilter([], [pattern]).Excludes(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/abs/*.py")]
    [InlineData("a/../b")]
    [InlineData("a//b")]
    public void A_pattern_that_cannot_match_anything_sensible_is_refused(string pattern) =>
        Assert.NotNull(PathFilter.Problem(pattern));

    [Fact]
    public void AddDirectory_copies_what_include_names_less_what_exclude_names_with_only_the_directories_above_it()
    {
        using var dir = new TempDirectory();
        foreach (var path in new[] { "lib/json/__init__.py", "lib/json/__pycache__/x.pyc", "lib/test/test_a.py", "lib/empty/readme.txt", "lib/os.py", "lib/data.bin" })
            dir.Write(path, "x");
        dir.Write("r.tiny.csx", "From.Scratch().AddDirectory(\"lib\", \"/usr/lib/py\", include: [\"*.py\"], exclude: [\"test\", \"__pycache__\"]);\n");

        var build = Run.Tinyrun(dir.Path, "r.tiny.csx", "--no-sbom");

        Assert.True(build.ExitCode == 0, build.ToString());
        var inspect = Run.Tinyrun(dir.Path, "inspect", "out/r.tar");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        var names = inspect.Stdout.Split('\n').SkipWhile(l => l != "files:").Skip(1).Select(l => l.Trim().Split("  ")[0]).Where(l => l.Length > 0).ToList();
        Assert.Equal(["usr/", "lib/", "py/", "json/", "__init__.py", "os.py"], names);
    }

    [Fact]
    public void A_bad_pattern_is_one_line_naming_the_recipe_line()
    {
        using var dir = new TempDirectory();
        dir.Write("lib/a.py", "x");
        dir.Write("r.tiny.csx", "From.Scratch()\n    .AddDirectory(\"lib\", \"/lib\", exclude: [\"../x\"]);\n");

        var build = Run.Tinyrun(dir.Path, "r.tiny.csx");

        Assert.Equal(1, build.ExitCode);
        var line = Assert.Single(build.Stderr.Trim().Split('\n'));
        Assert.Contains("r.tiny.csx(2)", line);
        Assert.Contains("pattern '../x'", line);
    }
}
