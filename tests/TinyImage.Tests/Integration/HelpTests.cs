namespace TinyImage.Tests.Integration;

/// <summary>
/// Every command's <c>--help</c> (README: "Every command has --help with examples") shows its own usage and arguments,
/// not the recipe argument of <c>tinyrun RECIPE</c> as well.
/// </summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData("build", "tinyrun build <recipe> [options]")]
    [InlineData("test", "tinyrun test <recipe> [options]")]
    [InlineData("verify", "tinyrun verify <recipe> <image> [options]")]
    [InlineData("lock", "tinyrun lock <recipe> [options]")]
    [InlineData("inspect", "tinyrun inspect <archive> [options]")]
    [InlineData("deps", "tinyrun deps <files>... [options]")]
    [InlineData("init", "tinyrun init [<directory>] [options]")]
    [InlineData("cache", "tinyrun cache [command] [options]")]
    public void A_commands_help_has_its_own_usage_its_arguments_once_and_examples(string command, string usage)
    {
        var help = Run.Tinyrun(Run.RepoRoot, command, "--help");

        Assert.True(help.ExitCode == 0, help.ToString());
        var lines = help.Stdout.Split('\n');
        Assert.Equal(usage, lines[Array.IndexOf(lines, "Usage:") + 1].Trim());
        var arguments = lines.SkipWhile(l => l != "Arguments:").Skip(1).TakeWhile(l => l.Length > 0).Select(l => l.Trim().Split(' ')[0]).ToList();
        Assert.Equal(arguments.Distinct(), arguments);
        Assert.Contains("Examples:", help.Stdout);
    }

    [Fact]
    public void The_root_help_says_how_a_recipe_is_built()
    {
        var help = Run.Tinyrun(Run.RepoRoot, "--help");

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("tinyrun RECIPE [options]", help.Stdout);
        Assert.Contains("Examples:", help.Stdout);
    }
}
