using TinyImage.Core;
using TinyImage.Core.Build;

namespace TinyImage.Tests.Unit;

/// <summary>Environment variables are process-wide: these tests run alone, never beside another test.</summary>
[CollectionDefinition(nameof(ImagePipelineOptionsTests), DisableParallelization = true)]
public sealed class ImagePipelineOptionsCollection;

[Collection(nameof(ImagePipelineOptionsTests))]
public sealed class ImagePipelineOptionsTests
{
    private const string Variable = "SOURCE_DATE_EPOCH";

    private static ImagePipelineOptions WithEpoch(string? value)
    {
        var saved = Environment.GetEnvironmentVariable(Variable);
        Environment.SetEnvironmentVariable(Variable, value);
        try { return ImagePipelineOptions.FromEnvironment(); }
        finally { Environment.SetEnvironmentVariable(Variable, saved); }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Without_SOURCE_DATE_EPOCH_times_are_the_epoch(string? value)
    {
        var options = WithEpoch(value);

        Assert.Equal(DateTimeOffset.UnixEpoch, options.Layers.ModificationTime);
        Assert.NotNull(options.LayerCacheDirectory);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1700000000", 1700000000L)]
    [InlineData("0001700000000", 1700000000L)]
    [InlineData("253402300799", 253402300799L)] // 9999-12-31T23:59:59Z
    public void SOURCE_DATE_EPOCH_sets_the_file_time(string value, long seconds)
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(seconds), WithEpoch(value).Layers.ModificationTime);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1.5")]
    [InlineData("1e9")]
    [InlineData("1,000")]
    [InlineData("0x10")]
    [InlineData("abc")]
    [InlineData("253402300800")]
    [InlineData("99999999999999999999")]
    public void An_invalid_SOURCE_DATE_EPOCH_is_an_error_saying_what_to_do(string value)
    {
        var e = Assert.Throws<TinyImageException>(() => WithEpoch(value));

        Assert.Contains($"SOURCE_DATE_EPOCH='{value}'", e.Message);
        Assert.Contains("unset it", e.Message);
    }

    [Fact]
    public void The_variable_is_restored()
    {
        var before = Environment.GetEnvironmentVariable(Variable);
        WithEpoch("123");
        Assert.Equal(before, Environment.GetEnvironmentVariable(Variable));
    }
}
