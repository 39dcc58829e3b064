using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Layers;

/// <summary><c>--compression gzip-fast</c>: the runtime's zlib, another blob than the default pinned gzip, and <c>verify</c> knows it.</summary>
public sealed class GzipFastCommandTests
{
    [Fact]
    public void GzipFast_BuildsOtherBlobsThanTheDefault_AndVerifyRecognisesThem()
    {
        using var dir = new TempDirectory();
        var text = string.Concat(Enumerable.Range(0, 3000).Select(i => FormattableString.Invariant($"line {i} {i * i % 997}\\n")));
        var recipe = dir.Write("g.tiny.csx", $"From.Scratch().AddText(\"/words\", \"{text}\").Tag(\"verify-gzip-fast:1\")\n");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };

        var fast = Run.Tinyrun(env, dir.Path, recipe, "--compression", "gzip-fast", "-o", dir.Combine("fast.tar"));
        var pinned = Run.Tinyrun(env, dir.Path, recipe, "-o", dir.Combine("pinned.tar"));

        Assert.True(fast.ExitCode == 0, fast.ToString());
        Assert.True(pinned.ExitCode == 0, pinned.ToString());
        Assert.NotEqual(File.ReadAllBytes(dir.Combine("pinned.tar")), File.ReadAllBytes(dir.Combine("fast.tar")));
        var verify = Run.Tinyrun(env, dir.Path, "verify", recipe, dir.Combine("fast.tar"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("verified", verify.Stdout);
    }
}
