using TinyImage.Core.Spec;
using TinyImage.Dsl;

namespace TinyImage.Tests.Needs;

/// <summary>The DSL calls of runtime needs: each a step (or a flag) of its own, none changing the image's user.</summary>
public sealed class NeedsDslTests
{
    private const string RecipePath = "/tmp/x/recipe.tiny.csx";
    private readonly Recipe _recipe = new(RecipePath);

    [Fact]
    public void WithPasswd_WithRuntimeNeeds_and_Strict_leave_the_user_as_it_is()
    {
        var image = _recipe.From.Scratch(RecipePath, 1).AddBinary("/usr/bin/true", null, RecipePath, 2).WithPasswd(RecipePath, 3).WithRuntimeNeeds(RecipePath, 4).Strict();
        Assert.Null(image.Spec.Config.User);
        Assert.True(image.Spec.Strict);
        Assert.IsType<WithPasswdStep>(image.Spec.Steps[1]);
        Assert.Equal(3, image.Spec.Steps[1].Origin?.Line);
        Assert.IsType<WithRuntimeNeedsStep>(image.Spec.Steps[2]);
        Assert.False(_recipe.From.Scratch(RecipePath, 5).Spec.Strict);
    }
}
