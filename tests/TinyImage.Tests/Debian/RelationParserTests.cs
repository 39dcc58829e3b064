using TinyImage.Core;
using TinyImage.Core.Debian;

namespace TinyImage.Tests.Debian;

public sealed class RelationParserTests
{
    [Fact]
    public void Groups_alternatives_operators_and_qualifiers()
    {
        var groups = RelationParser.Parse("libc6 (>= 2.34), a | b:any (<< 2~), c (= 1:1.0-1), d (<= 3), e (>> 4), f (< 5), g (>6),", "amd64", "t");

        Assert.Equal(7, groups.Count);
        Assert.Equal("libc6 (>= 2.34)", groups[0][0].ToString());
        Assert.Equal(["a", "b:any (<< 2~)"], groups[1].Select(r => r.ToString()));
        Assert.Equal("any", groups[1][1].ArchitectureQualifier);
        Assert.Equal(RelationOperator.Equal, groups[2][0].Operator);
        Assert.Equal(1, groups[2][0].Version.Epoch);
        Assert.Equal(RelationOperator.EarlierOrEqual, groups[5][0].Operator); // obsolete '<' means '<='
        Assert.Equal(RelationOperator.LaterOrEqual, groups[6][0].Operator);   // obsolete '>' means '>='
        Assert.True(groups[0][0].Accepts(DebianVersion.Parse("2.36-9")));
        Assert.False(groups[0][0].Accepts(DebianVersion.Parse("2.33")));
    }

    [Fact]
    public void Architecture_restrictions_and_profiles()
    {
        var groups = RelationParser.Parse("a [amd64 arm64], b [!amd64], c [!i386] <!nocheck>, d [i386] | e", "amd64", "t");
        Assert.Equal(["a", "c", "e"], groups.Select(g => g.Single().Name));
    }

    [Theory]
    [InlineData("a (>= )")]
    [InlineData("a (~ 1)")]
    [InlineData("a (>= 1")]
    [InlineData("a b")]
    [InlineData("| a")]
    [InlineData("a:")]
    public void Malformed_relations_are_errors(string field) =>
        Assert.Throws<TinyImageException>(() => RelationParser.Parse(field, "amd64", "t"));
}
