using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;

namespace TinyImage.Tests.Registry;

/// <summary>Issue 10: image names read as distribution/reference normalizes them.</summary>
public sealed class RegistryReferenceTests
{
    private static readonly string Hex = new('a', 64);

    [Theory]
    [InlineData("ubuntu", "docker.io", "library/ubuntu", "latest", "docker.io/library/ubuntu:latest")]
    [InlineData("ubuntu:24.04", "docker.io", "library/ubuntu", "24.04", "docker.io/library/ubuntu:24.04")]
    [InlineData("team/app", "docker.io", "team/app", "latest", "docker.io/team/app:latest")]
    [InlineData("index.docker.io/library/debian:12", "docker.io", "library/debian", "12", "docker.io/library/debian:12")]
    [InlineData("127.0.0.1:5000/team/app:1.2", "127.0.0.1:5000", "team/app", "1.2", "127.0.0.1:5000/team/app:1.2")]
    [InlineData("localhost/app", "localhost", "app", "latest", "localhost/app:latest")]
    [InlineData("localhost:5000/a/b/c:x_Y-1", "localhost:5000", "a/b/c", "x_Y-1", "localhost:5000/a/b/c:x_Y-1")]
    [InlineData("registry.example/app__x.y-z", "registry.example", "app__x.y-z", "latest", "registry.example/app__x.y-z:latest")]
    [InlineData("[::1]:5000/app:1", "[::1]:5000", "app", "1", "[::1]:5000/app:1")]
    public void Parse_Normalizes(string text, string registry, string repository, string tag, string full)
    {
        var reference = RegistryReference.Parse(text);

        Assert.Equal((registry, repository, tag, (Digest?)null), (reference.Registry, reference.Repository, reference.Tag, reference.Digest));
        Assert.Equal(full, reference.ToString());
        Assert.Equal(reference, RegistryReference.Parse(full));
    }

    [Fact]
    public void Parse_Digests_KeepATagWhenGiven()
    {
        var pinned = RegistryReference.Parse($"127.0.0.1:5000/app@sha256:{Hex}");
        var both = RegistryReference.Parse($"127.0.0.1:5000/app:1@sha256:{Hex}");

        Assert.Null(pinned.Tag);
        Assert.Equal($"sha256:{Hex}", pinned.ManifestReference);
        Assert.Equal("1", both.Tag);
        Assert.Equal($"sha256:{Hex}", both.ManifestReference);
        Assert.Equal($"127.0.0.1:5000/app:1@sha256:{Hex}", both.ToString());
        Assert.Equal(both, pinned.WithTag("1").WithDigest(Digest.Parse($"sha256:{Hex}")));
        Assert.Equal("registry-1.docker.io", RegistryReference.Parse("ubuntu").ApiHost);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("My_Registry/app", "'My_Registry' is not a registry")]
    [InlineData("127.0.0.1:5000/App", "'App' is not a repository")]
    [InlineData("app:", "'' is not a tag")]
    [InlineData("app:-x", "'-x' is not a tag")]
    [InlineData("app@sha256:abc", "the part after '@'")]
    [InlineData("a//b", "'a//b' is not a repository")]
    [InlineData("127.0.0.1:5000/app\n", "is not a repository")]
    public void Parse_RefusesWithOneLine(string text, string problem)
    {
        var error = Assert.Throws<TinyImageException>(() => RegistryReference.Parse(text));

        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(RegistryReference.TryParse(text, out _));
    }

    [Fact]
    public void Parse_RefusesTooLongNames()
    {
        Assert.True(RegistryReference.TryParse("r.example/" + new string('a', 245), out _));
        Assert.False(RegistryReference.TryParse("r.example/" + new string('a', 246), out _));
        Assert.False(RegistryReference.TryParse("app:" + new string('t', 129), out _));
    }
}
