using TinyImage.Core.Build;

namespace TinyImage.Tests.Runtime;

public sealed class LocaleNamesTests
{
    [Theory]
    [InlineData("C.UTF-8", "C.utf8")]
    [InlineData("C.utf8", "C.utf8")]
    [InlineData("en_US.UTF-8", "en_US.utf8")]
    [InlineData("de_DE.ISO-8859-1@euro", "de_DE.iso88591@euro")]
    [InlineData("ja_JP.8859", "ja_JP.iso8859")]
    [InlineData("POSIX", "POSIX")]
    public void Codesets_are_normalized_as_glibc_does(string name, string expected) =>
        Assert.Equal(expected, LocaleNames.Normalize(name));
}
