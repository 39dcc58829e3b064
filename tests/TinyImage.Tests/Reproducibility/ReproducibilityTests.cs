using System.Text.RegularExpressions;
using TinyImage.Core.Build;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Reproducibility;

/// <summary>
/// The same recipe and the same input bytes give the same manifest digest whatever the input files' mtimes, where
/// they are, the working directory, the order a directory lists its files in, and whether the layer cache is warm.
/// </summary>
public sealed partial class ReproducibilityTests
{
    /// <summary>Copies /bin/bash, /bin/ls and a data directory into <paramref name="root"/>, files dated <paramref name="mtime"/>, created in the given order.</summary>
    private static void MakeInputs(string root, DateTime mtime, bool reverse)
    {
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        var names = Enumerable.Range(0, 40).Select(i => $"file-{i:D2}.txt").ToList();
        if (reverse) names.Reverse();
        // Creating files in a different order gives a different readdir order on most file systems.
        foreach (var name in names)
        {
            var path = Path.Combine(root, "data", name.StartsWith("file-1", StringComparison.Ordinal) ? "sub" : "", name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, $"content of {name}\n");
            File.SetLastWriteTimeUtc(path, mtime);
        }
        foreach (var binary in reverse ? new[] { "ls", "bash" } : ["bash", "ls"])
        {
            var copy = Path.Combine(root, "bin", binary);
            File.Copy("/bin/" + binary, copy);
            File.SetLastWriteTimeUtc(copy, mtime);
        }
        Directory.SetLastWriteTimeUtc(Path.Combine(root, "data"), mtime);
    }

    private static ImageSpec Spec(string root) => new()
    {
        Steps =
        [
            new AddBinaryStep(Path.Combine(root, "bin", "bash"), "/usr/bin/bash"),
            new AddBinaryStep(Path.Combine(root, "bin", "ls"), "/usr/bin/ls"),
            new WithLibsStep(),
            new AddDirectoryStep(Path.Combine(root, "data"), "/srv/data"),
        ],
        Config = new ImageConfig { Cmd = ["/usr/bin/bash"] },
    };

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public async Task InProcess_DifferentMtimesPathsAndListingOrder_GiveTheSameDigest(LayerCompression compression)
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        MakeInputs(a.Combine("inputs"), new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc), reverse: false);
        MakeInputs(b.Combine("somewhere/else"), DateTime.UtcNow, reverse: true);
        var layers = new LayerOptions { Compression = compression };

        // a: no cache; b: a cold then a warm cache.
        var first = await new ImagePipeline(new ImagePipelineOptions { Layers = layers })
            .BuildAsync(Spec(a.Combine("inputs")), ImageReference.Parse("repro:1"), a.Combine("out/image.tar"), CancellationToken.None);
        var cached = new ImagePipeline(new ImagePipelineOptions { Layers = layers, LayerCacheDirectory = b.Combine("cache") });
        var second = await cached.BuildAsync(Spec(b.Combine("somewhere/else")), ImageReference.Parse("repro:1"), b.Combine("x.tar"), CancellationToken.None);
        var third = await cached.BuildAsync(Spec(b.Combine("somewhere/else")), ImageReference.Parse("repro:1"), b.Combine("y.tar"), CancellationToken.None);

        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Equal(first.ManifestDigest, third.ManifestDigest);
        Assert.Equal(File.ReadAllBytes(first.OutputPath), File.ReadAllBytes(third.OutputPath));
        Assert.Equal(3, first.Layers.Count);
    }

    [Fact]
    public async Task TheImageTime_ChangesTheDigest_AndOnlyThat()
    {
        using var dir = new TempDirectory();
        MakeInputs(dir.Combine("in"), DateTime.UtcNow, reverse: false);
        async Task<BuiltImage> Build(long seconds, string name) =>
            await new ImagePipeline(new ImagePipelineOptions { Layers = new LayerOptions { ModificationTime = DateTimeOffset.FromUnixTimeSeconds(seconds) } })
                .BuildAsync(Spec(dir.Combine("in")), ImageReference.Parse("repro:1"), dir.Combine(name), CancellationToken.None);

        var epoch = await Build(0, "0.tar");
        var dated = await Build(1700000000, "1.tar");
        var again = await Build(1700000000, "2.tar");

        Assert.NotEqual(epoch.ManifestDigest, dated.ManifestDigest);
        Assert.Equal(dated.ManifestDigest, again.ManifestDigest);
        Assert.Contains("\"created\":\"2023-11-14T22:13:20Z\"", System.Text.Encoding.UTF8.GetString(dated.ConfigBytes.Span));
    }

    [Fact]
    public void Cli_TwoCheckoutsInDifferentDirectories_WithDifferentMtimesAndWorkingDirectories_GiveTheSameDigest()
    {
        const string recipe = """
            From.Scratch()
                .AddBinary("bin/bash", "/usr/bin/bash")
                .AddBinary("bin/ls", "/usr/bin/ls")
                .WithLibs()
                .AddDirectory("data", "/srv/data")
                .Cmd("/usr/bin/bash")
                .Tag("repro:latest");
            """;
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        MakeInputs(a.Combine("checkout"), new DateTime(2005, 1, 1, 0, 0, 0, DateTimeKind.Utc), reverse: false);
        MakeInputs(b.Combine("deeper/checkout"), DateTime.UtcNow, reverse: true);
        File.WriteAllText(a.Combine("checkout/repro.tiny.csx"), recipe);
        File.WriteAllText(b.Combine("deeper/checkout/repro.tiny.csx"), recipe);

        // Different working directories, relative vs absolute recipe paths, separate caches.
        var first = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = a.Combine("cache") }, a.Path,
            "checkout/repro.tiny.csx", "-o", "one.tar");
        var second = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = b.Combine("cache") }, "/",
            b.Combine("deeper/checkout/repro.tiny.csx"), "-o", b.Combine("two.tar"));
        var warm = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = b.Combine("cache") }, b.Path,
            b.Combine("deeper/checkout/repro.tiny.csx"), "-o", "three.tar");

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.True(warm.ExitCode == 0, warm.Stderr);
        var digest = ManifestDigest().Match(first.Stdout).Value;
        Assert.StartsWith("sha256:", digest);
        Assert.Equal(digest, ManifestDigest().Match(second.Stdout).Value);
        Assert.Equal(digest, ManifestDigest().Match(warm.Stdout).Value);
        Assert.Equal(File.ReadAllBytes(a.Combine("one.tar")), File.ReadAllBytes(b.Combine("two.tar")));
    }

    [Fact]
    public void Cli_TheBashLsRecipe_GivesTheSameDigest_FromAnotherWorkingDirectory_AndAColdCache()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var recipe = Path.Combine(Run.RepoRoot, "recipes", "bash-ls.tiny.csx");
        var first = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = a.Combine("cache") }, Run.RepoRoot, recipe, "-o", a.Combine("ls.tar"));
        var second = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = b.Combine("cache") }, b.Path, recipe, "-o", "ls.tar", "--format", "oci-dir");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal(ManifestDigest().Match(first.Stdout).Value, ManifestDigest().Match(second.Stdout).Value);
        Assert.True(File.Exists(b.Combine("ls.tar/oci-layout")), "--format oci-dir writes a layout directory");
    }

    [GeneratedRegex("sha256:[0-9a-f]{64}")]
    private static partial Regex ManifestDigest();
}
