using System.Text;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Layers;

/// <summary>
/// tinyrun's peak memory does not grow with the size of the files: the peak RSS (GNU time's %M) of building an image
/// from 1 GiB of files is within 1.5x that of a 10 MB image. Runs alone: the machine's memory and cores are shared.
/// </summary>
[Collection(nameof(LayerMemoryTests))]
public sealed class BuildMemoryTests
{
    private const string Recipe = """From.Scratch().AddDirectory(Args["dir"], "/data").Tag("big:latest");""";

    /// <summary>Writes highly compressible text: <paramref name="bigFiles"/> files of <paramref name="bigSize"/> bytes and <paramref name="smallFiles"/> of 128 KiB.</summary>
    private static void Generate(string directory, int bigFiles, long bigSize, int smallFiles)
    {
        var block = new StringBuilder();
        for (var line = 0; block.Length < 64 * 1024; line++) block.Append($"line {line:D6}: the quick brown fox jumps over the lazy dog\n");
        var bytes = Encoding.ASCII.GetBytes(block.ToString())[..(64 * 1024)];
        Directory.CreateDirectory(Path.Combine(directory, "small"));
        for (var i = 0; i < bigFiles; i++)
        {
            using var file = new FileStream(Path.Combine(directory, $"big-{i}.txt"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            for (long written = 0; written < bigSize; written += bytes.Length) file.Write(bytes, 0, (int)Math.Min(bytes.Length, bigSize - written));
        }
        for (var i = 0; i < smallFiles; i++)
            File.WriteAllBytes(Path.Combine(directory, "small", $"s-{i:D4}.txt"), [.. bytes, .. bytes]);
    }

    private static (long PeakKiB, double Seconds) Build(TempDirectory dir, string data, string output)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = Run.Process("/usr/bin/time",
            ["-f", "peak-rss-kib=%M", "dotnet", Path.Combine(AppContext.BaseDirectory, "tinyrun.dll"), dir.Combine("big.tiny.csx"), "--arg", $"dir={data}", "-o", output],
            dir.Path, new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") });
        Assert.True(result.ExitCode == 0, $"tinyrun failed ({result.ExitCode}): {result.Stderr}");
        var line = result.Stderr.Split('\n').Last(l => l.StartsWith("peak-rss-kib=", StringComparison.Ordinal));
        return (long.Parse(line["peak-rss-kib=".Length..]), started.Elapsed.TotalSeconds);
    }

    [Fact]
    public void PeakRss_ForAOneGibImage_IsWithinOneAndAHalfTimesThatOfATenMegabyteImage()
    {
        Assert.True(File.Exists("/usr/bin/time"), "GNU time is needed to measure peak RSS: apt-get install time (or scripts/install-test-deps.sh)");
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("big.tiny.csx"), Recipe);
        Generate(dir.Combine("small-data"), bigFiles: 1, bigSize: 5L << 20, smallFiles: 40);     // 10 MiB
        Generate(dir.Combine("big-data"), bigFiles: 4, bigSize: 224L << 20, smallFiles: 1024);   // 1 GiB
        // Compiles the recipe into the cache, from files of its own: were it built from either measured set, that build
        // would find its layers, and what it found in the dpkg database for its paths, in the caches; the other would not.
        Generate(dir.Combine("warm-up-data"), bigFiles: 1, bigSize: 64L << 10, smallFiles: 1);
        Build(dir, dir.Combine("warm-up-data"), dir.Combine("warm-up.tar"));

        var (small, _) = Build(dir, dir.Combine("small-data"), dir.Combine("small.tar"));
        var (big, seconds) = Build(dir, dir.Combine("big-data"), dir.Combine("big.tar"));

        var ratio = (double)big / small;
        Console.WriteLine($"peak RSS: 10 MiB image {small / 1024} MiB, 1 GiB image {big / 1024} MiB, ratio {ratio:F2}; 1 GiB built in {seconds:F1} s");
        Assert.True(ratio <= 1.5, $"peak RSS {big} KiB for 1 GiB of files against {small} KiB for 10 MiB: ratio {ratio:F2} > 1.5");
    }
}
