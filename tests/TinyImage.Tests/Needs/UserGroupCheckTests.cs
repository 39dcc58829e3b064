using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.Needs;
using TinyImage.Core.Spec;
using TinyImage.Dsl;

namespace TinyImage.Tests.Needs;

/// <summary>The start check of <c>.User("name:group")</c>: a group the image's /etc/group does not have stops the build with the fix.</summary>
public sealed class UserGroupCheckTests
{
    private static ImageView Image(ImageBuilder recipe) => new(new TreeAssembler(new ResolverOptions()).Assemble(recipe.Spec).Tree);

    private static ImageBuilder Scratch() => new Recipe("/tmp/user-group.tiny.csx").From.Scratch();

    [Fact]
    public void A_group_name_without_a_group_entry_is_refused_naming_the_fix()
    {
        var image = Image(Scratch().WithUser("www", 1000));
        Assert.Equal(
            [".User(\"www:staff\"): the image has no group entry for staff, so the container cannot start; add .WithUser(\"staff\", UID) or use a number, .User(\"UID:GID\")"],
            StartChecks.Problems(new ImageConfig { User = "www:staff" }, image, []));
    }

    [Fact]
    public void A_group_the_image_has_or_a_number_is_accepted()
    {
        var image = Image(Scratch().WithUser("www", 1000));
        Assert.Empty(StartChecks.Problems(new ImageConfig { User = "www:www" }, image, []));
        Assert.Empty(StartChecks.Problems(new ImageConfig { User = "www:50" }, image, []));
        // The check reads a group file the recipe wrote itself, through the image's links.
        var written = Image(Scratch().AddText("/usr/share/base/passwd", "root:x:0:0::/:/x\nnginx:x:101:101::/:/x\n").AddText("/usr/share/base/group", "staff:x:50:\n")
            .Symlink("/etc/passwd", "../usr/share/base/passwd").Symlink("/etc/group", "/usr/share/base/group"));
        Assert.Empty(StartChecks.Problems(new ImageConfig { User = "nginx:staff" }, written, []));
        Assert.Single(StartChecks.Problems(new ImageConfig { User = "nginx:www" }, written, []));
    }
}
