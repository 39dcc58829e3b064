using System.CommandLine;
using System.Reflection;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Reproducibility;

/// <summary>
/// <c>tinyrun verify RECIPE IMAGE</c> rebuilds and compares manifest digests. The command is invoked in-process through
/// its System.CommandLine definition, as Program.cs wires it.
/// </summary>
// Sets TINYRUN_CACHE for the in-process command, so it runs alone (the collection runs after the parallel tests).
[Collection(nameof(TinyImage.Tests.Layers.LayerMemoryTests))]
public sealed class VerifyCommandTests
{
    private static Task<int> VerifyAsync(params string[] args)
    {
        var type = Assembly.Load("tinyrun").GetType("TinyImage.Runner.VerifyCommand", throwOnError: true)!;
        var command = (Command)type.GetMethod("Create", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;
        var root = new RootCommand { command };
        return root.Parse(["verify", .. args]).InvokeAsync();
    }

    [Fact]
    public async Task Verify_PassesForTheImageTheRecipeBuilt_AndFailsWhenAnInputChanged()
    {
        using var dir = new TempDirectory();
        dir.Write("app/run.sh", "#!/bin/sh\necho one\n");
        var recipe = dir.Write("app/app.tiny.csx", "From.Scratch().AddFile(\"run.sh\", \"/run.sh\", 755).Tag(\"verify-me:1\");\n");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };
        var built = Run.Tinyrun(env, dir.Path, recipe, "-o", dir.Combine("image.tar"));
        Assert.True(built.ExitCode == 0, built.Stderr);

        var saved = Environment.GetEnvironmentVariable("TINYRUN_CACHE"); // the test run's own cache: put it back
        Environment.SetEnvironmentVariable("TINYRUN_CACHE", dir.Combine("cache"));
        try
        {
            Assert.Equal(0, await VerifyAsync(recipe, dir.Combine("image.tar")));
            dir.Write("app/run.sh", "#!/bin/sh\necho two\n");
            Assert.Equal(1, await VerifyAsync(recipe, dir.Combine("image.tar")));
        }
        finally
        {
            Environment.SetEnvironmentVariable("TINYRUN_CACHE", saved);
        }
    }

    [Fact]
    public void Finding04_VerifyRebuildsWithoutTheLayerCache()
    {
        using var dir = new TempDirectory();
        var text = string.Join(' ', Enumerable.Range(0, 20000).Select(i => (i * 2654435761 % 100003).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var recipe = dir.Write("v.tiny.csx", $"From.Scratch().AddText(\"/numbers\", \"{text}\").Tag(\"verify-nocache:1\")\n");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };
        var clean = Run.Tinyrun(env, dir.Path, recipe, "-o", dir.Combine("clean.tar"));
        Assert.True(clean.ExitCode == 0, clean.ToString());

        // The cache entry is replaced by the same tar compressed another way, with a matching digest file: it holds
        // the right content, so a build uses it, and gives an image the recipe alone does not give.
        var blob = Directory.GetFiles(dir.Combine("cache/layers"), "*", SearchOption.AllDirectories)
            .Single(p => Path.GetFileName(p).Length == 64 && Path.GetFileName(Path.GetDirectoryName(p)) is not ("measured" or "builds")); // not the diff_id it measured to, nor the build's record
        byte[] recompressed;
        using (var output = new MemoryStream())
        {
            using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                gzip.Write(TinyImage.Tests.Layers.TarInspection.Gunzip(blob));
            recompressed = output.ToArray();
        }
        File.WriteAllBytes(blob, recompressed);
        File.WriteAllText(blob + ".digest", $"{TinyImage.Core.Oci.Digest.Compute(recompressed)} {recompressed.Length}\n");
        var other = Run.Tinyrun(env, dir.Path, recipe, "-o", dir.Combine("other.tar"));
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.NotEqual(File.ReadAllBytes(dir.Combine("clean.tar")), File.ReadAllBytes(dir.Combine("other.tar")));

        var verifyOther = Run.Tinyrun(env, dir.Path, "verify", recipe, dir.Combine("other.tar"));
        Assert.True(verifyOther.ExitCode == 1, verifyOther.ToString());
        Assert.Contains("DIFFERS", verifyOther.Stdout);
        var verifyClean = Run.Tinyrun(env, dir.Path, "verify", recipe, dir.Combine("clean.tar"));
        Assert.True(verifyClean.ExitCode == 0, verifyClean.ToString());
        Assert.Contains("verified", verifyClean.Stdout);
    }

    [Fact]
    public void Verify_recognises_an_image_built_with_zstd_layers()
    {
        using var dir = new TempDirectory();
        var recipe = dir.Write("z.tiny.csx", "From.Scratch().AddText(\"/z\", \"zstd\").Tag(\"verify-zstd:1\")\n");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };
        var built = Run.Tinyrun(env, dir.Path, recipe, "--compression", "zstd", "-o", dir.Combine("z.tar"));
        Assert.True(built.ExitCode == 0, built.ToString());
        var verify = Run.Tinyrun(env, dir.Path, "verify", recipe, dir.Combine("z.tar"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("verified", verify.Stdout);
    }

    [Fact]
    public async Task Verify_of_an_image_built_with_SOURCE_DATE_EPOCH_reports_a_normal_builds_digest_and_the_epoch_to_set()
    {
        using var dir = new TempDirectory();
        var recipe = dir.Write("e.tiny.csx", "From.Scratch().AddText(\"/e\", \"epoch\").Tag(\"verify-epoch:1\")\n");
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };
        var dated = Run.Tinyrun(new Dictionary<string, string>(env) { ["SOURCE_DATE_EPOCH"] = "1700000000" }, dir.Path, recipe, "-o", dir.Combine("sde.tar"));
        Assert.True(dated.ExitCode == 0, dated.ToString());
        var plain = Run.Tinyrun(env, dir.Path, recipe, "-o", dir.Combine("plain.tar"));
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var normal = (await TinyImage.Core.Sources.ImageArchiveReader.ReadManifestsAsync(dir.Combine("plain.tar"), CancellationToken.None)).Single().Manifest;

        // Every compression is tried and none matches; the line names the gzip rebuild (not gzip-fast, tried last) and why.
        var verify = Run.Tinyrun(env, dir.Path, "verify", recipe, dir.Combine("sde.tar"));
        Assert.True(verify.ExitCode == 1, verify.ToString());
        var line = Assert.Single(verify.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"DIFFERS: {dir.Combine("sde.tar")} has ", line);
        Assert.Contains($", the recipe now gives {normal}", line); // not gzip-fast's, tried last
        Assert.EndsWith($"{normal}; the archive was created 2023-11-14T22:13:20Z and this rebuild 1970-01-01T00:00:00Z: set SOURCE_DATE_EPOCH=1700000000 and verify again", line);
    }
}
