using TinyImage.Core.Elf;

namespace TinyImage.Tests.Elf;

public sealed class DynamicStringTokensTests
{
    [Theory]
    [InlineData("$ORIGIN/../lib", "/app/bin/../lib")]
    [InlineData("${ORIGIN}/lib", "/app/bin/lib")]
    [InlineData("/opt/$LIB", "/opt/lib/x86_64-linux-gnu")]
    [InlineData("/opt/${PLATFORM}/x", "/opt/x86_64/x")]
    [InlineData("/opt/$FOO/x", "/opt/$FOO/x")]
    [InlineData("$ORIGINAL/x", "$ORIGINAL/x")]
    [InlineData("${ORIGIN", "${ORIGIN")]
    [InlineData("/plain", "/plain")]
    [InlineData("$", "$")]
    public void ExpandsLikeGlibc(string input, string expected) =>
        Assert.Equal(expected, DynamicStringTokens.Expand(input, "/app/bin", "lib/x86_64-linux-gnu", "x86_64"));

    [Fact]
    public void KnownTokenWithoutValueDropsTheElement() =>
        Assert.Null(DynamicStringTokens.Expand("/opt/$PLATFORM", "/app", "lib", null));
}
