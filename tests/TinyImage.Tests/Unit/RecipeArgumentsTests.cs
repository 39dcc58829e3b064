using TinyImage.Core;
using TinyImage.Dsl;

namespace TinyImage.Tests.Unit;

public sealed class RecipeArgumentsTests
{
    private static RecipeArguments Args(params (string Name, string Value)[] values) =>
        new Recipe("/tmp/x/recipe.tiny.csx", values.ToDictionary(v => v.Name, v => v.Value)).Args;

    [Fact]
    public void A_given_argument_is_returned()
    {
        var args = Args(("version", "1.2"), ("empty", ""));

        Assert.Equal("1.2", args["version"]);
        Assert.Equal("", args["empty"]);
        Assert.True(args.Contains("version"));
        Assert.False(args.Contains("Version"));
    }

    [Fact]
    public void A_missing_required_argument_says_how_to_pass_it()
    {
        var e = Assert.Throws<TinyImageException>(() => Args(("other", "x"))["version"]);

        Assert.Equal("recipe.tiny.csx: the recipe needs the argument 'version'; pass --arg version=VALUE", e.Message);
    }

    [Fact]
    public void Get_falls_back_only_when_the_argument_is_missing()
    {
        var args = Args(("version", "1.2"), ("empty", ""));

        Assert.Equal("1.2", args.Get("version", "1.0"));
        Assert.Equal("", args.Get("empty", "fallback"));
        Assert.Equal("1.0", args.Get("missing", "1.0"));
    }

    [Fact]
    public void Names_lists_every_argument()
    {
        Assert.Equal(["a", "b"], Args(("a", "1"), ("b", "2")).Names.Order(StringComparer.Ordinal));
    }
}
