using TinyImage.Core;
using TinyImage.Core.Dotnet;

namespace TinyImage.Tests.Dotnet;

/// <summary>Which installed framework hostfxr chooses (docs/design/features/framework-version-resolution.md in dotnet/runtime).</summary>
public sealed class FrameworkVersionTests
{
    private static readonly string[] Installed = ["8.0.5", "8.0.11", "9.0.1", "10.0.2", "10.0.12", "10.1.0", "10.1.3", "11.0.0-preview.1.1", "11.0.0"];

    [Theory]
    [InlineData("10.0.0", "Minor", "10.0.12")]        // the default: the latest patch of the requested major.minor
    [InlineData("10.0.0", "LatestPatch", "10.0.12")]
    [InlineData("10.0.13", "Minor", "10.1.3")]        // no acceptable patch of 10.0: the lowest minor above, at its latest patch
    [InlineData("10.0.13", "LatestPatch", null)]
    [InlineData("10.0.0", "LatestMinor", "10.1.3")]
    [InlineData("9.0.0", "Minor", "9.0.1")]
    [InlineData("9.0.2", "Minor", null)]              // no 9.x at or above it, and Minor never changes the major
    [InlineData("9.0.2", "Major", "10.0.12")]
    [InlineData("9.0.2", "LatestMajor", "11.0.0")]    // a release, not the preview, for a release request
    [InlineData("10.0.2", "Disable", "10.0.2")]
    [InlineData("10.0.3", "Disable", null)]
    [InlineData("8.0.0", "minor", "8.0.11")]          // the policy's case does not matter, as in hostfxr
    public void Roll_forward_chooses_as_hostfxr_does(string requested, string policy, string? expected)
    {
        var chosen = FrameworkVersion.RollForward(FrameworkVersion.TryParse(requested)!, policy,
            [.. Installed.Select(v => FrameworkVersion.TryParse(v)!)], "app.runtimeconfig.json");
        Assert.Equal(expected, chosen?.Text);
    }

    [Fact]
    public void An_unknown_policy_is_an_error_naming_the_config()
    {
        var error = Assert.Throws<TinyImageException>(() => FrameworkVersion.RollForward(FrameworkVersion.TryParse("10.0.0")!, "Sometimes", [], "app.runtimeconfig.json"));
        Assert.StartsWith("app.runtimeconfig.json: rollForward 'Sometimes'", error.Message);
    }

    [Theory]
    [InlineData("10.0.12", true)]
    [InlineData("10.0.0-rc.2.25502.107", true)]
    [InlineData("10.0", false)]
    [InlineData("x.0.1", false)]
    [InlineData("-1.0.0", false)]
    public void Versions_are_major_minor_patch_with_an_optional_prerelease(string text, bool valid) =>
        Assert.Equal(valid, FrameworkVersion.TryParse(text) is not null);
}
