using System.Globalization;

namespace TinyImage.Tests.Integration;

/// <summary>
/// Issue 8, finding 10, with real signals sent to a real tinyrun: the first SIGINT or SIGTERM cancels (one line,
/// exit 130 or 143) even while recipe code spins, a second one exits at once, and what <c>Sh</c> started dies with
/// tinyrun however it ends (checked in /proc afterwards).
/// </summary>
public sealed class SignalTests
{
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(5); // compiling a recipe on a busy machine
    private static readonly TimeSpan Stop = TimeSpan.FromSeconds(60);

    private static Dictionary<string, string> Cache(TempDirectory dir) => new() { ["TINYRUN_CACHE"] = dir.Combine("cache") };

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void Finding10_FirstSignalStopsRecipeCodeThatNeverChecks(string signal, int exitCode)
    {
        using var dir = new TempDirectory();
        dir.Write("spin.tiny.csx", "System.Console.Error.WriteLine(\"spinning\");\nwhile (true) { }\n");
        using var tinyrun = new RunningTinyrun(dir.Path, Cache(dir), "spin.tiny.csx");
        tinyrun.WaitUntil(() => tinyrun.Stderr.Contains("spinning"), Start, "the recipe's loop");

        tinyrun.Signal(signal);

        Assert.Equal(exitCode, tinyrun.WaitForExit(Stop));
        Assert.Equal($"tinyrun: cancelled (SIG{signal}); every output is either complete or as it was before",
            Assert.Single(tinyrun.Stderr.Split('\n'), l => l.StartsWith("tinyrun:", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    [InlineData("KILL", 137)]
    public void Finding10_ShChildrenDieWithTinyrun(string signal, int exitCode)
    {
        using var dir = new TempDirectory();
        // A duration no other process uses, to find this sleep (and only it) in /proc.
        var seconds = $"1000.{Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture)}";
        dir.Write("sleep.tiny.csx", $"Sh(\"echo started; sleep {seconds}; echo not killed\");\nFrom.Scratch()\n");
        using var tinyrun = new RunningTinyrun(dir.Path, Cache(dir), "sleep.tiny.csx");
        tinyrun.WaitUntil(() => RunningTinyrun.LiveProcesses("sleep", seconds).Count > 0, Start, $"sleep {seconds} running");

        tinyrun.Signal(signal);

        Assert.Equal(exitCode, tinyrun.WaitForExit(Stop));
        // After kill -9 nobody in tinyrun is left to act: the command's supervisor sees its lifeline close.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (RunningTinyrun.LiveProcesses("sleep", seconds).Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(100);
        var left = RunningTinyrun.LiveProcesses("sleep", seconds);
        foreach (var pid in left) Run.Process("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(left.Count == 0, $"sleep {seconds} outlived tinyrun (SIG{signal}): pids {string.Join(' ', left)}");
    }

    [Fact]
    public void Sh_commands_that_end_at_once_never_leave_tinyrun_waiting()
    {
        // The supervisor kills its watcher as soon as the command ends; a watcher that survived (a signal lost while
        // it was being forked) would hold the output pipes, and Sh would wait for their end forever.
        using var dir = new TempDirectory();
        dir.Write("quick.tiny.csx", "for (var i = 0; i < 100; i++) Sh(\"true\");\nFrom.Scratch()\n");

        var result = Run.Tinyrun(Cache(dir), dir.Path, "quick.tiny.csx", "--quiet");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void Finding10_SecondSignalExitsAtOnce()
    {
        using var dir = new TempDirectory();
        // Incompressible bytes, so the archive is far larger than a pipe's buffer: writing it to a stdout nobody reads
        // blocks in write(2), where no cancellation reaches.
        var bytes = new byte[2 << 20];
        new Random(8).NextBytes(bytes);
        File.WriteAllBytes(dir.Combine("noise.bin"), bytes);
        dir.Write("big.tiny.csx", "From.Scratch().AddFile(\"noise.bin\", \"/noise.bin\").Tag(\"big:1\")\n");
        Directory.CreateDirectory(dir.Combine("tmp")); // where the archive is built, and left when tinyrun stops at once
        using var tinyrun = new RunningTinyrun(dir.Path, new Dictionary<string, string>(Cache(dir)) { ["TMPDIR"] = dir.Combine("tmp") }, "big.tiny.csx", "-o", "-");
        tinyrun.WaitUntil(tinyrun.IsBlockedWritingAPipe, Start, "writing the archive to a full stdout");

        tinyrun.Signal("INT"); // cancels, but the write goes on blocking
        tinyrun.Signal("INT");

        Assert.Equal(130, tinyrun.WaitForExit(Stop));
        Assert.Contains("tinyrun: SIGINT again: stopped at once", tinyrun.Stderr);
    }
}
