using TinyImage.Core;
using TinyImage.Core.Spec;

namespace TinyImage.Tests.Unit;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("hello", "hello", "latest")]
    [InlineData("hello:1.0", "hello", "1.0")]
    [InlineData("team/app:v2", "team/app", "v2")]
    [InlineData("my_app.x-y__z:Tag_1.2-rc", "my_app.x-y__z", "Tag_1.2-rc")]
    [InlineData("example.com/team/hello:1", "example.com/team/hello", "1")]
    [InlineData("localhost:5000/x:1", "localhost:5000/x", "1")]
    [InlineData("localhost:5000/x", "localhost:5000/x", "latest")]
    [InlineData("Registry.Example.COM/app", "Registry.Example.COM/app", "latest")]
    [InlineData("a--b", "a--b", "latest")]
    public void Valid_names_parse_with_latest_as_the_default_tag(string text, string repository, string tag)
    {
        Assert.True(ImageReference.TryParse(text, out var reference, out var problem));
        Assert.Null(problem);
        Assert.Equal(new ImageReference(repository, tag), reference);
        Assert.Equal($"{repository}:{tag}", reference.ToString());
        Assert.Equal(reference, ImageReference.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Hello")]
    [InlineData("team/App")]
    [InlineData("hello world")]
    [InlineData(" hello")]
    [InlineData("hello\n")]
    [InlineData("hello:latest\n")]
    [InlineData("hello:")]
    [InlineData("hello:-x")]
    [InlineData("hello:.x")]
    [InlineData("-hello")]
    [InlineData("hello-")]
    [InlineData("hello..x")]
    [InlineData("hello___x")]
    [InlineData("/hello")]
    [InlineData("hello/")]
    [InlineData("a//b")]
    [InlineData("hello@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("host:port/x")]
    [InlineData("hello:a:b")]
    public void Invalid_names_are_rejected_with_an_example(string text)
    {
        Assert.False(ImageReference.TryParse(text, out var reference, out var problem));
        Assert.Null(reference);
        Assert.Contains("hello:latest", problem);
    }

    [Fact]
    public void A_tag_may_have_128_characters_but_not_129()
    {
        Assert.True(ImageReference.TryParse("x:" + new string('t', 128), out _, out _));
        Assert.False(ImageReference.TryParse("x:" + new string('t', 129), out _, out _));
    }

    [Fact]
    public void A_name_longer_than_255_characters_is_rejected()
    {
        var longest = string.Join('/', Enumerable.Repeat(new string('a', 50), 4)) + "/" + new string('b', 51);
        Assert.Equal(255, longest.Length);
        Assert.True(ImageReference.TryParse(longest, out _, out _));

        Assert.False(ImageReference.TryParse(longest + "f", out var reference, out var problem));
        Assert.Null(reference);
        Assert.Contains("255", problem);
    }

    [Fact]
    public void Parse_throws_a_TinyImageException_quoting_the_text()
    {
        var e = Assert.Throws<TinyImageException>(() => ImageReference.Parse("Bad Name"));
        Assert.StartsWith("'Bad Name': ", e.Message);
    }

    [Theory]
    [InlineData("hello", "hello")]
    [InlineData("team/app:1", "app")]
    [InlineData("example.com/team/hello:1", "hello")]
    [InlineData("localhost:5000/x:1", "x")]
    public void ShortName_is_the_last_path_component(string text, string expected) =>
        Assert.Equal(expected, ImageReference.Parse(text).ShortName);

    [Theory]
    [InlineData("x", "docker.io/library/x:latest")]
    [InlineData("x:1", "docker.io/library/x:1")]
    [InlineData("team/app:2", "docker.io/team/app:2")]
    [InlineData("a/b/c", "docker.io/a/b/c:latest")]
    [InlineData("localhost:5000/x:1", "localhost:5000/x:1")]
    [InlineData("localhost/x", "localhost/x:latest")]
    [InlineData("example.com/team/hello:1", "example.com/team/hello:1")]
    [InlineData("docker.io/library/x:latest", "docker.io/library/x:latest")]
    [InlineData("registry:5000/x", "registry:5000/x:latest")]
    public void FullyQualified_is_the_containerd_spelling(string text, string expected) =>
        Assert.Equal(expected, ImageReference.Parse(text).FullyQualified);

    [Fact]
    public void An_upper_case_first_component_is_a_registry_host_as_docker_reads_it()
    {
        Assert.Equal("Hello/x:latest", ImageReference.Parse("Hello/x").FullyQualified);
        Assert.True(ImageReference.TryParse(new string('a', 250) + ":latest", out _, out _));
    }
}
