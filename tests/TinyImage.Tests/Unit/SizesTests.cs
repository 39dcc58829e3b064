using TinyImage.Runner;

namespace TinyImage.Tests.Unit;

public sealed class SizesTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1L, "1 B")]
    [InlineData(812L, "812 B")]
    [InlineData(999L, "999 B")]
    [InlineData(1000L, "1.0 kB")]
    [InlineData(1049L, "1.0 kB")]
    [InlineData(1050L, "1.1 kB")] // 1.05 is a little above in binary: rounds up
    [InlineData(1400L, "1.4 kB")]
    [InlineData(999_000L, "999.0 kB")]
    [InlineData(999_949L, "999.9 kB")]
    [InlineData(999_950L, "1.0 MB")] // not "1000.0 kB"
    [InlineData(999_999L, "1.0 MB")]
    [InlineData(999_999_999L, "1.0 GB")]
    [InlineData(1_000_000L, "1.0 MB")]
    [InlineData(2_200_000L, "2.2 MB")]
    [InlineData(2_249_999L, "2.2 MB")]
    [InlineData(3_000_000_000L, "3.0 GB")]
    [InlineData(5_000_000_000_000L, "5.0 TB")]
    [InlineData(5_000_000_000_000_000L, "5000.0 TB")]
    public void Format_uses_decimal_units_with_one_decimal(long bytes, string expected) =>
        Assert.Equal(expected, Sizes.Format(bytes));
}
