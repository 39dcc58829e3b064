using TinyImage.Core;
using TinyImage.Core.Build;
using TinyImage.Core.Elf;
using TinyImage.Core.Spec;
using TinyImage.Dsl;

namespace TinyImage.Tests.Unit;

/// <summary>Platforms: parsed strictly, named by the recipe or the command line, and never guessed from the files.</summary>
public sealed class PlatformTests
{
    [Theory]
    [InlineData("linux/amd64", "linux/amd64", "amd64")]
    [InlineData("linux/arm64", "linux/arm64", "arm64")]
    [InlineData("linux/arm64/v8", "linux/arm64", "arm64")]
    [InlineData("linux/arm/v7", "linux/arm/v7", "armhf")]
    [InlineData("linux/386", "linux/386", "i386")]
    [InlineData("linux/ppc64le", "linux/ppc64le", "ppc64el")]
    public void Parses_os_architecture_and_variant(string text, string shown, string debian)
    {
        var platform = Platform.Parse(text);
        Assert.Equal(shown, platform.ToString());
        Assert.Equal(debian, platform.DebianArchitecture);
    }

    [Theory]
    [InlineData("amd64")]
    [InlineData("windows/amd64")]
    [InlineData("linux/sparc")]
    [InlineData("linux//v7")]
    [InlineData("linux/arm64/v8/x")]
    public void Refuses_what_is_not_a_platform(string text) =>
        Assert.Contains("linux/ARCH", Assert.Throws<TinyImageException>(() => Platform.Parse(text)).Message);

    [Fact]
    public void A_recipe_names_its_platforms_and_a_bad_one_is_an_error_at_its_line()
    {
        var recipe = new Recipe("/tmp/p.tiny.csx");
        Assert.Equal([Platform.LinuxAmd64, Platform.LinuxArm64], recipe.From.Scratch().Platforms(["linux/amd64", "linux/arm64"]).Spec.Platforms.ToArray());
        Assert.Equal([Platform.LinuxAmd64, Platform.LinuxArm64], recipe.From.Scratch().Platforms("linux/amd64, linux/arm64").Spec.Platforms.ToArray());
        var error = Assert.Throws<TinyImageException>(() => recipe.From.Scratch().Platforms("linux/mips"));
        Assert.Contains("PlatformTests.cs(", error.Message);
    }

    [Fact]
    public void A_host_program_in_an_image_for_another_platform_is_refused()
    {
        var spec = new Recipe("/tmp/p.tiny.csx").From.Scratch().AddBinary("/bin/true").Spec;
        var error = Assert.Throws<TinyImageException>(() => new TreeAssembler(new ResolverOptions(), platform: Platform.LinuxArm64).Assemble(spec));
        Assert.Contains("is a program for amd64, but the image is for linux/arm64", error.Message);
    }

    [Fact]
    public void Debian_package_names_are_checked_at_the_recipes_line()
    {
        var debian = TinyImage.Dsl.Debian.Release("bookworm");
        Assert.Equal(["hello", "libc6"], new Recipe("/tmp/p.tiny.csx").From.Scratch().Root(debian.Install("hello", "libc6")).Spec.Packages!.Names.ToArray());
        var error = Assert.Throws<TinyImageException>(() => new Recipe("/tmp/p.tiny.csx").From.Scratch().Root(debian.Install("Hello World")));
        Assert.Contains("PlatformTests.cs(", error.Message);
        Assert.Contains("not a Debian package name", error.Message);
        Assert.Contains("release name", Assert.Throws<TinyImageException>(() => TinyImage.Dsl.Debian.Release("Book Worm")).Message);
    }
}
