using TinyImage.Core.FileSystem;

namespace TinyImage.Tests.Unit;

public sealed class ImagePathTests
{
    [Theory]
    [InlineData("/usr/bin/bash", "/usr/bin/bash")]
    [InlineData("usr/bin", "/usr/bin")]
    [InlineData("", "/")]
    [InlineData("/", "/")]
    [InlineData("//usr///bin//", "/usr/bin")]
    [InlineData("/usr/./bin/.", "/usr/bin")]
    [InlineData("/usr/lib/../bin", "/usr/bin")]
    [InlineData("/..", "/")]
    [InlineData("/../../etc/passwd", "/etc/passwd")]
    [InlineData("/a/b/../../../c", "/c")]
    [InlineData("/a/..b/c..", "/a/..b/c..")]
    public void Normalize_gives_an_absolute_path_without_dot_components(string path, string expected) =>
        Assert.Equal(expected, ImagePath.Normalize(path));

    [Theory]
    [InlineData("/", null)]
    [InlineData("/usr", "/")]
    [InlineData("/usr/bin", "/usr")]
    [InlineData("/usr/bin/bash", "/usr/bin")]
    public void Parent_of_root_is_null(string path, string? expected) =>
        Assert.Equal(expected, ImagePath.Parent(path));

    [Fact]
    public void Ancestors_are_outermost_first_without_root_or_self()
    {
        Assert.Equal(["/usr", "/usr/lib", "/usr/lib/x86_64-linux-gnu"], ImagePath.Ancestors("/usr/lib/x86_64-linux-gnu/libc.so.6"));
        Assert.Empty(ImagePath.Ancestors("/etc"));
        Assert.Empty(ImagePath.Ancestors("/"));
    }

    [Theory]
    [InlineData("/", "etc", "/etc")]
    [InlineData("/etc", "passwd", "/etc/passwd")]
    public void Combine_does_not_double_the_root_slash(string directory, string name, string expected) =>
        Assert.Equal(expected, ImagePath.Combine(directory, name));
}
