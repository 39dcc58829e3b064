namespace TinyImage.Tests.Integration;

/// <summary>
/// A malformed option value, or an unknown option, is a usage error: exit 2 and one line <c>tinyrun: ...</c>, before the recipe is even
/// evaluated, in every command that takes the option. What only the recipe can tell stays a build error (exit 1).
/// </summary>
public sealed class UsageErrorTests
{
    /// <summary>Two images; evaluating it leaves a file named "evaluated" in the working directory.</summary>
    private const string Recipe = "System.IO.File.WriteAllText(\"evaluated\", \"\");\nFrom.Scratch().Tag(\"one:1\");\nFrom.Scratch().Tag(\"two:1\");\n";

    [Theory]
    [InlineData("tinyrun: --arg 'noequals': write NAME=VALUE", "r.tiny.csx", "--arg", "noequals")]
    [InlineData("tinyrun: 'banana' is not a platform", "r.tiny.csx", "--platform", "banana")]
    [InlineData("tinyrun: 'linux/banana' is not a platform", "build", "r.tiny.csx", "--platform", "linux/amd64,linux/banana")]
    [InlineData("tinyrun: 'Bad Tag': not a valid image name", "r.tiny.csx", "-t", "Bad Tag")]
    [InlineData("tinyrun: --cache-repo 'x@y': not a registry repository", "r.tiny.csx", "--cache-repo", "x@y")]
    [InlineData("tinyrun: --insecure-registry 'http://reg.lan:5000': not HOST[:PORT]", "r.tiny.csx", "--insecure-registry", "http://reg.lan:5000")]
    [InlineData("tinyrun: --insecure-registry 'reg.lan/v2': not HOST[:PORT]", "r.tiny.csx", "--insecure-registry", "127.0.0.1:5000", "--insecure-registry", "reg.lan/v2")]
    [InlineData("tinyrun: Argument 'xz' not recognized. Must be one of: 'gzip', 'gzip-fast', 'zstd'; run 'tinyrun --help' for usage", "r.tiny.csx", "--compression", "xz")]
    [InlineData("tinyrun: unknown option '--bogus'; run 'tinyrun --help' for usage", "--bogus", "r.tiny.csx")]
    [InlineData("tinyrun: unknown option '--bogus'; run 'tinyrun --help' for usage", "r.tiny.csx", "--bogus")]
    [InlineData("tinyrun: unknown option '-x'; run 'tinyrun --help' for usage", "deps", "-x", "/bin/ls")]
    [InlineData("tinyrun: unknown option '--bogus'; run 'tinyrun --help' for usage", "cache", "prune", "--max-size", "5GB", "--bogus")]
    [InlineData("tinyrun: Required argument missing for option: '--arg'; run 'tinyrun --help' for usage", "r.tiny.csx", "--arg")]
    [InlineData("tinyrun: Required argument missing for option: '--insecure-registry'; run 'tinyrun --help' for usage", "r.tiny.csx", "--insecure-registry")]
    [InlineData("tinyrun: --arg 'x': write NAME=VALUE", "test", "r.tiny.csx", "-a", "a=1", "-a", "x")]
    [InlineData("tinyrun: --arg 'x': write NAME=VALUE", "verify", "r.tiny.csx", "image.tar", "--arg", "x")]
    [InlineData("tinyrun: --arg 'x': write NAME=VALUE", "lock", "r.tiny.csx", "--arg", "x")]
    [InlineData("tinyrun: 'banana' is not a platform", "lock", "r.tiny.csx", "--platform", "banana")]
    [InlineData("tinyrun: 'banana' is not a platform", "inspect", "image.tar", "--platform", "banana")]
    public void A_malformed_option_value_exits_2_with_one_line_before_the_recipe_is_evaluated(string expected, params string[] args)
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        var result = Run.Tinyrun(dir.Path, args);
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(expected, line);
        Assert.False(File.Exists(dir.Combine("evaluated")), result.ToString());
        Assert.False(Directory.Exists(dir.Combine("out")), result.ToString());
    }

    [Fact]
    public void Good_values_of_the_parsed_options_build_and_a_tag_for_a_recipe_of_two_images_is_a_build_error()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", Recipe);
        var built = Run.Tinyrun(dir.Path, "r.tiny.csx", "-a", "a=1", "--arg", "b=x=y", "--platform", "linux/amd64, linux/amd64",
            "--insecure-registry", "reg.lan:5000", "--insecure-registry", "[::1]:5000", "--insecure-registry", "myhost");
        Assert.True(built.ExitCode == 0, built.ToString());
        Assert.True(File.Exists(dir.Combine("out/one.tar")) && File.Exists(dir.Combine("out/two.tar")), built.ToString());

        // --tag is a good name here; only the recipe shows that it would name two images: exit 1, as for a build error.
        var tagged = Run.Tinyrun(dir.Path, "r.tiny.csx", "-t", "x:1", "-o", "tagged");
        Assert.True(tagged.ExitCode == 1, tagged.ToString());
        Assert.Contains("tinyrun: r.tiny.csx: --tag names one image but the recipe defines 2", tagged.Stderr);
    }
}
