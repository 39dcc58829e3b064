using TinyImage.Core;
using TinyImage.Core.Spec;

namespace TinyImage.Tests.Unit;

public sealed class CommandLineTests
{
    private static string[] Split(string command) => CommandLine.Split(command).ToArray();

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" \t\n ")]
    public void Empty_or_blank_gives_no_arguments(string command) =>
        Assert.Empty(Split(command));

    [Fact]
    public void Words_are_split_at_any_white_space()
    {
        Assert.Equal(["/bin/ls", "-l", "/usr", "/etc"], Split("  /bin/ls \t-l\n/usr   /etc "));
    }

    [Fact]
    public void Single_quotes_keep_everything_literally()
    {
        Assert.Equal(["/bin/bash", "-c", "ls /bin"], Split("/bin/bash -c 'ls /bin'"));
        Assert.Equal(["a \"b\" \\n $x"], Split("'a \"b\" \\n $x'"));
    }

    [Fact]
    public void Double_quotes_unescape_only_quote_backslash_dollar_and_backtick()
    {
        Assert.Equal(["say \"hi\" \\ $ ` \\n 'x'"], Split("\"say \\\"hi\\\" \\\\ \\$ \\` \\n 'x'\""));
    }

    [Fact]
    public void Empty_quotes_give_an_empty_argument()
    {
        Assert.Equal(["a", "", "b", ""], Split("a \"\" b ''"));
    }

    [Fact]
    public void Adjacent_quoted_and_bare_parts_form_one_word()
    {
        Assert.Equal(["ab cd\"e", "x"], Split("a'b c'\"d\\\"e\" x"));
    }

    [Fact]
    public void A_backslash_outside_quotes_escapes_the_next_character()
    {
        Assert.Equal(["a b", "'", "\"", "\\", "c"], Split("a\\ b \\' \\\" \\\\ \\c"));
    }

    [Fact]
    public void A_trailing_backslash_is_kept()
    {
        Assert.Equal(["a\\"], Split("a\\"));
    }

    [Theory]
    [InlineData("echo 'hi", "'")]
    [InlineData("echo \"hi", "\"")]
    [InlineData("echo \"hi\\\"", "\"")]
    [InlineData("'", "'")]
    public void An_unclosed_quote_is_an_error(string command, string quote)
    {
        var e = Assert.Throws<TinyImageException>(() => Split(command));
        Assert.Contains($"a {quote} quote is not closed", e.Message);
        Assert.Contains(command, e.Message);
    }
}
