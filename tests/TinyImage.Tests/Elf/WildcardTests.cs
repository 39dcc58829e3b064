using TinyImage.Core.Elf;

namespace TinyImage.Tests.Elf;

/// <summary>fnmatch's bracket rules, each case chosen so that a changed bound or test in <see cref="Wildcard"/> gives another answer.</summary>
public sealed class WildcardTests
{
    [Theory]
    [InlineData("a.conf", "*.conf", true)]
    [InlineData("a.conf", "*.con", false)]
    [InlineData("10-x.conf", "[0-9]*", true)]
    [InlineData("x.conf", "[!x]*", false)]
    [InlineData("ab", "a?", true)]
    [InlineData("a", "a?", false)]
    // A class needs a character to match.
    [InlineData("a", "a[b]", false)]
    [InlineData("ab", "a[b]", true)]
    // An unclosed '[' is a literal '['.
    [InlineData("[", "[", true)]
    [InlineData("[a", "[a", true)]
    [InlineData("xa", "[a", false)]
    [InlineData("[!", "[!", true)]
    // ']' right after '[' or after the negation is a member, not the end.
    [InlineData("]", "[]]", true)]
    [InlineData("a", "[]a]", true)]
    [InlineData("b", "[]a]", false)]
    [InlineData("b", "[!]a]", true)]
    [InlineData("]", "[!]a]", false)]
    [InlineData("a", "[!]a]", false)]
    [InlineData("b", "[^]a]", true)]
    [InlineData("]", "[^]a]", false)]
    // Plain members and ranges, ends included.
    [InlineData("c", "[ab]", false)]
    [InlineData("b", "[ab]", true)]
    [InlineData("a", "[a-c]", true)]
    [InlineData("c", "[a-c]", true)]
    [InlineData("d", "[a-c]", false)]
    [InlineData("-", "[a-]", true)]
    [InlineData("a", "[a-]", true)]
    [InlineData("b", "[a-]", false)]
    // '*' may match nothing, in the middle or at the end.
    [InlineData("ab", "a*b", true)]
    [InlineData("a", "a**", true)]
    [InlineData("ba", "*a", true)]
    [InlineData("b", "*a", false)]
    public void MatchesLikeFnmatch(string name, string pattern, bool expected) =>
        Assert.Equal(expected, Wildcard.IsMatch(name, pattern));
}
