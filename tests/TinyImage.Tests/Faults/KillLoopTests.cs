using System.Diagnostics;
using System.Security.Cryptography;
using TinyImage.Tests.Integration;
using Xunit.Abstractions;

namespace TinyImage.Tests.Faults;

/// <summary>
/// <c>kill -9</c> at random points of a large build (issue 8, "What to build"): a recipe adding ~200 MB of incompressible
/// files, killed again and again at random delays, warm or cold layer cache. After each kill the previous archive must
/// be intact (the same bytes); the next, complete build must give the same bytes as a clean build and leave no
/// temporary file in out/ or in the cache. CI runs a few iterations within a time budget (fixed seed);
/// TINYIMAGE_KILL_ITERATIONS=50 TINYIMAGE_KILL_BUDGET_SECONDS=0 runs the full loop.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class KillLoopTests(ITestOutputHelper output)
{
    private const int Seed = 20260508;
    private const int FileCount = 40;
    private const int FileSize = 5 << 20;

    [Fact]
    public void Kill9_at_random_points_never_damages_the_output_and_the_next_build_is_clean_and_identical()
    {
        var iterations = Setting("TINYIMAGE_KILL_ITERATIONS", 12);
        var budget = TimeSpan.FromSeconds(Setting("TINYIMAGE_KILL_BUDGET_SECONDS", 60));
        using var dir = new TempDirectory();
        WriteIncompressibleFiles(dir.Combine("data"));
        dir.Write("fault.tiny.csx", "From.Scratch().AddDirectory(\"data\", \"/data\").Tag(\"fault:1\")\n");
        var cache = dir.Combine("cache");
        var archive = dir.Combine("out/fault.tar");

        // The clean build: empty caches, no earlier output. It and a warm build bound the random delays.
        var clock = Stopwatch.StartNew();
        var clean = Build(dir.Path, cache);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        var coldDuration = clock.Elapsed;
        var cleanHash = Hash(archive);
        Assert.Empty(TemporaryEntries(dir.Path, cache));
        clock.Restart();
        var warm = Build(dir.Path, cache);
        Assert.True(warm.ExitCode == 0, warm.ToString());
        var warmDuration = clock.Elapsed;
        Assert.Equal(cleanHash, Hash(archive));

        var random = new Random(Seed);
        var problems = new List<string>();
        int done = 0, killed = 0;
        var loop = Stopwatch.StartNew();
        while (done < iterations && (budget == TimeSpan.Zero || loop.Elapsed < budget || done < 3))
        {
            done++;
            var before = problems.Count;
            var cold = random.Next(2) == 0;
            if (cold && Directory.Exists(Path.Combine(cache, "layers"))) Directory.Delete(Path.Combine(cache, "layers"), recursive: true);
            // Half of the kills land anywhere in the build, half while it writes the archive.
            var whileWriting = random.Next(2) == 0;
            var delay = TimeSpan.FromMilliseconds(whileWriting ? random.Next(300) : random.Next((int)(cold ? coldDuration : warmDuration).TotalMilliseconds + 1));
            var wasKilled = StartAndKill(dir.Path, cache, delay, whileWriting);
            if (wasKilled) killed++;
            var what = $"iteration {done} ({(cold ? "cold" : "warm")} layer cache, kill -9 {delay.TotalMilliseconds:0} ms after the " +
                       $"{(whileWriting ? "archive's writing began" : "start")}{(wasKilled ? "" : ", too late: the build had finished")})";

            if (!File.Exists(archive) || Hash(archive) != cleanHash)
                problems.Add($"{what}: the previous archive changed or is gone");

            var next = Build(dir.Path, cache);
            if (next.ExitCode != 0)
                problems.Add($"{what}: the next build failed: {next}");
            else if (Hash(archive) != cleanHash)
                problems.Add($"{what}: the next build's archive differs from the clean build's");
            var left = TemporaryEntries(dir.Path, cache);
            if (left.Count > 0)
            {
                problems.Add($"{what}: after the next complete build, temporary files of earlier runs are left: {string.Join(", ", left.Select(p => Path.GetRelativePath(dir.Path, p)))}");
                foreach (var path in left) Delete(path); // so that each iteration counts only its own
            }
            output.WriteLine(problems.Count == before ? $"{what}: ok" : string.Join("\n", problems.Skip(before)));
        }

        output.WriteLine($"kill loop: {done} iterations ({killed} killed mid-build) in {loop.Elapsed.TotalSeconds:0} s; " +
                         $"{FileCount * (long)FileSize >> 20} MiB, clean build {coldDuration.TotalSeconds:0.0} s, warm {warmDuration.TotalSeconds:0.0} s; {problems.Count} problems");
        Assert.True(problems.Count == 0, $"{problems.Count} problems in {done} iterations ({killed} killed mid-build):\n{string.Join("\n", problems)}");
        Assert.True(killed > 0, $"none of the {done} kills landed while the build ran (clean build {coldDuration}, warm {warmDuration})");
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value >= 0 ? value : fallback;

    /// <summary>Files of random bytes (a fixed seed: the same files every run) that gzip cannot shrink.</summary>
    private static void WriteIncompressibleFiles(string directory)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(Seed);
        var buffer = new byte[FileSize];
        for (var i = 0; i < FileCount; i++)
        {
            random.NextBytes(buffer);
            File.WriteAllBytes(Path.Combine(directory, $"blob-{i:D2}.bin"), buffer);
        }
    }

    private static ProcessResult Build(string directory, string cache) =>
        Run.Process("dotnet", [Run.TinyrunDll, "fault.tiny.csx", "--quiet"], directory,
            new Dictionary<string, string> { [TestRunCache.Variable] = cache }, TimeSpan.FromMinutes(10));

    /// <summary>
    /// Starts a build and sends it SIGKILL after <paramref name="delay"/>, counted from the start, or with
    /// <paramref name="afterOutputStarts"/> from the moment it starts writing in out/ (a new entry there, or the archive
    /// changed), the short window a random delay over the whole build seldom hits. False when it had already finished.
    /// </summary>
    private static bool StartAndKill(string directory, string cache, TimeSpan delay, bool afterOutputStarts)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { [TestRunCache.Variable] = cache },
        };
        foreach (var arg in new[] { Run.TinyrunDll, "fault.tiny.csx", "--quiet" }) start.ArgumentList.Add(arg);
        var outDirectory = Path.Combine(directory, "out");
        var archive = File.GetLastWriteTimeUtc(Path.Combine(outDirectory, "fault.tar"));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        if (afterOutputStarts)
            while (!process.HasExited && Directory.GetFileSystemEntries(outDirectory).Count(e => !e.EndsWith(".json", StringComparison.Ordinal)) == 1
                   && File.GetLastWriteTimeUtc(Path.Combine(outDirectory, "fault.tar")) == archive)
                Thread.Sleep(2);
        var finished = process.WaitForExit(delay);
        if (!finished) process.Kill(); // SIGKILL on Linux
        process.WaitForExit();
        return !finished;
    }

    /// <summary>
    /// What a build writes before renaming it into place, in out/ and anywhere in the cache: <c>*.tmp</c> (archives,
    /// layer blobs), <c>.tmp-*</c> (compiled recipes), <c>.tinyimage-layers-*</c> (layers written without a cache).
    /// </summary>
    private static List<string> TemporaryEntries(string directory, string cache) =>
        new[] { Path.Combine(directory, "out"), cache }.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*", SearchOption.AllDirectories))
            .Where(p => IsTemporary(Path.GetFileName(p)) && !Path.GetDirectoryName(p)!.Split('/').Any(IsTemporary))
            .Order(StringComparer.Ordinal).ToList();

    private static bool IsTemporary(string name) =>
        name.EndsWith(".tmp", StringComparison.Ordinal) || name.StartsWith(".tmp-", StringComparison.Ordinal)
        || name.StartsWith(".tinyimage-layers-", StringComparison.Ordinal);

    private static void Delete(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }

    private static string Hash(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }
}
