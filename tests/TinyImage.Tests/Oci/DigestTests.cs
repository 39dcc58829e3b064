using TinyImage.Core.Oci;

namespace TinyImage.Tests.Oci;

public sealed class DigestTests
{
    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Fact]
    public void Compute_Parse_AndToString_RoundTrip()
    {
        var digest = Digest.Compute([]);

        Assert.Equal(EmptySha256, digest.Hex);
        Assert.Equal("sha256:" + EmptySha256, digest.ToString());
        Assert.Equal(digest, Digest.Parse("sha256:" + EmptySha256));
        Assert.Equal("sha256", digest.Algorithm);
    }

    [Theory]
    [InlineData("")]
    [InlineData(EmptySha256)]
    [InlineData("sha256:" + "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("sha256:e3b0")]
    [InlineData("sha512:" + EmptySha256)]
    [InlineData("sha256:" + EmptySha256 + "\n")]
    public void Parse_RejectsAnythingButSha256AndLowercaseHex(string text)
    {
        Assert.Throws<FormatException>(() => Digest.Parse(text));
        Assert.False(Digest.TryParse(text, out _));
    }
}
