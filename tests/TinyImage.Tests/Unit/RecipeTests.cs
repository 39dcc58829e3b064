using TinyImage.Core;
using TinyImage.Dsl;

namespace TinyImage.Tests.Unit;

public sealed class RecipeTests
{
    private const string RecipePath = "/tmp/x/recipe.tiny.csx";

    [Fact]
    public void Path_and_directory_are_absolute()
    {
        var recipe = new Recipe(RecipePath);

        Assert.Equal(RecipePath, recipe.Path);
        Assert.Equal("/tmp/x", recipe.Directory);
        Assert.Equal(Path.GetFullPath("r.tiny.csx"), new Recipe("r.tiny.csx").Path);
    }

    [Fact]
    public void A_recipe_without_images_has_none()
    {
        Assert.Empty(new Recipe(RecipePath).Images());
    }

    [Fact]
    public void Scratch_alone_is_one_image()
    {
        var recipe = new Recipe(RecipePath);
        recipe.From.Scratch(RecipePath, 3);

        var image = Assert.Single(recipe.Images());
        Assert.Empty(image.Steps);
        Assert.Null(image.Reference);
        Assert.Equal(new SourceLocation(RecipePath, 3), image.Origin);
    }

    [Fact]
    public void A_plain_chain_is_one_image_the_last_builder()
    {
        var recipe = new Recipe(RecipePath);
        var last = recipe.From.Scratch().AddText("/a", "a").MkDir("/d").Env("A", "1").Tag("one:1");

        var image = Assert.Single(recipe.Images());
        Assert.Same(last.Spec, image);
        Assert.Equal("one:1", image.Reference);
        Assert.Equal(2, image.Steps.Length);
    }

    [Fact]
    public void A_shared_base_extended_twice_gives_two_images()
    {
        var recipe = new Recipe(RecipePath);
        var shared = recipe.From.Scratch().AddText("/common", "c");
        shared.Tag("a:1");
        shared.AddText("/extra", "e").Tag("b:1");

        var images = recipe.Images();

        Assert.Equal(["a:1", "b:1"], images.Select(i => i.Reference));
        Assert.Single(images[0].Steps);
        Assert.Equal(2, images[1].Steps.Length);
    }

    [Fact]
    public void Independent_chains_are_separate_images()
    {
        var recipe = new Recipe(RecipePath);
        recipe.From.Scratch().Tag("first");
        recipe.From.Scratch().Tag("second");
        recipe.From.Scratch();

        Assert.Equal(["first:latest", "second:latest", null], recipe.Images().Select(i => i.Reference));
    }

    [Fact]
    public void A_call_that_throws_defines_no_image()
    {
        var recipe = new Recipe(RecipePath);
        var b = recipe.From.Scratch().Tag("ok");

        Assert.Throws<TinyImageException>(() => b.Tag("Not OK"));

        Assert.Equal(["ok:latest"], recipe.Images().Select(i => i.Reference));
    }

    [Fact]
    public void Args_come_from_the_constructor()
    {
        var recipe = new Recipe(RecipePath, new Dictionary<string, string> { ["version"] = "1.2" });

        Assert.Equal("1.2", recipe.Args["version"]);
        Assert.Equal(["version"], recipe.Args.Names);
        Assert.Empty(new Recipe(RecipePath).Args.Names);
    }

    [Fact]
    public void Sh_runs_in_the_recipe_directory()
    {
        using var root = new TempRoot();
        var recipe = new Recipe(Path.Combine(root.Path, "r.tiny.csx"));

        recipe.Sh("echo made > out.txt");

        Assert.Equal("made\n", File.ReadAllText(Path.Combine(root.Path, "out.txt")));
    }

    [Fact]
    public void A_failing_Sh_names_the_line_the_exit_code_and_the_output()
    {
        using var root = new TempRoot();
        var path = Path.Combine(root.Path, "r.tiny.csx");
        var recipe = new Recipe(path);

        var e = Assert.Throws<TinyImageException>(() => recipe.Sh("echo oops >&2; exit 3", path, 12));

        Assert.Contains("r.tiny.csx(12): ", e.Message);
        Assert.Contains("exit code 3", e.Message);
        Assert.Contains("oops", e.Message);
    }
}
