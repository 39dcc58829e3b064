using System.Diagnostics;

namespace TinyImage.Tests.Integration;

/// <summary>
/// The <c>tinyrun</c> launcher script, on a copy of it beside a few source files, with a <c>dotnet</c> of the test's
/// own that records each publish and writes a runner that only says it ran (the real one takes minutes).
/// </summary>
public sealed class LauncherScriptTests
{
    private const string FakeDotnet = """
        #!/usr/bin/env bash
        # A publish: noted, then (once the test says go) a runner in the -o directory.
        echo "$*" >> "$FAKE_DIR/publishes"
        out=""; previous=""
        for argument in "$@"; do [ "$previous" = "-o" ] && out="$argument"; previous="$argument"; done
        touch "$FAKE_DIR/publishing"
        for _ in $(seq 1200); do [ -e "$FAKE_DIR/go" ] && break; sleep 0.05; done
        mkdir -p "$out"; printf '#!/bin/sh\necho ran\n' > "$out/tinyrun"; chmod +x "$out/tinyrun"
        [ ! -e "$FAKE_DIR/fail" ] || { echo "publish failed" >&2; exit 1; }
        """;

    /// <summary>A copy of the script beside a source file (src/Runner/A.cs), the fake dotnet first on PATH.</summary>
    private static (string Repo, string Source, Dictionary<string, string> Environment) Checkout(TempDirectory dir)
    {
        var repo = dir.Combine("repo");
        Directory.CreateDirectory(Path.Combine(repo, "src", "Runner"));
        File.Copy(Path.Combine(Run.RepoRoot, "tinyrun"), Path.Combine(repo, "tinyrun"));
        File.WriteAllText(Path.Combine(repo, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(repo, "src", "Runner", "TinyImage.Runner.csproj"), "<Project />");
        var source = Path.Combine(repo, "src", "Runner", "A.cs");
        File.WriteAllText(source, "class A;");
        Directory.CreateDirectory(dir.Combine("bin"));
        File.WriteAllText(dir.Combine("bin/dotnet"), FakeDotnet.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(dir.Combine("bin/dotnet"), (UnixFileMode)0b111_101_101);
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = dir.Combine("bin") + ":" + Environment.GetEnvironmentVariable("PATH"), ["FAKE_DIR"] = dir.Path,
        };
        return (repo, source, environment);
    }

    [Fact]
    public void A_rebuild_keeps_the_earlier_runners_files_and_a_failed_one_keeps_the_current_runner()
    {
        using var dir = new TempDirectory();
        var (repo, source, environment) = Checkout(dir);
        File.WriteAllText(dir.Combine("go"), "");
        string Current()
        {
            var target = new DirectoryInfo(Path.Combine(repo, ".tinyrun-build")).ResolveLinkTarget(returnFinalTarget: true);
            Assert.True(target is not null, ".tinyrun-build is not a link to the current build");
            return target.FullName;
        }

        Assert.Equal(0, Run.Process(Path.Combine(repo, "tinyrun"), [], repo, environment).ExitCode);
        var first = Current();
        Directory.SetLastWriteTimeUtc(first, DateTime.UtcNow.AddHours(-2)); // built long ago, replaced only now
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddSeconds(5));
        var second = Run.Process(Path.Combine(repo, "tinyrun"), [], repo, environment);

        // A runner still running from the first build (a build, a build server) finds its files where they were.
        Assert.True(second.ExitCode == 0 && second.Stdout == "ran\n", second.ToString());
        Assert.NotEqual(first, Current());
        Assert.True(File.Exists(Path.Combine(first, "tinyrun")));

        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddSeconds(10));
        File.WriteAllText(dir.Combine("fail"), "");
        var failed = Run.Process(Path.Combine(repo, "tinyrun"), [], repo, environment);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("publish failed", failed.Stderr);
        Assert.True(File.Exists(Path.Combine(Current(), "tinyrun")) && File.Exists(Path.Combine(Current(), ".stamp")), "the current runner was damaged by a failed build");
        File.Delete(dir.Combine("fail"));
        Assert.Equal("ran\n", Run.Process(Path.Combine(repo, "tinyrun"), [], repo, environment).Stdout); // and it is built again
        Assert.Equal(4, File.ReadAllLines(dir.Combine("publishes")).Length);
    }

    [Fact]
    public async Task A_source_file_changed_while_the_runner_is_built_rebuilds_it_next_time()
    {
        using var dir = new TempDirectory();
        var (repo, source, environment) = Checkout(dir);
        string[] Publishes() => File.ReadAllLines(dir.Combine("publishes"));

        var first = Task.Run(() => Run.Process(Path.Combine(repo, "tinyrun"), [], repo, environment));
        var waited = Stopwatch.StartNew();
        while (!File.Exists(dir.Combine("publishing")))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the script started no publish");
            await Task.Delay(20);
        }
        File.WriteAllText(source, "class A { }"); // edited while the runner is built from the earlier text
        File.WriteAllText(dir.Combine("go"), "");
        var built = await first;
        Assert.True(built.ExitCode == 0 && built.Stdout == "ran\n", built.ToString());
        Assert.Single(Publishes());

        var next = Run.Process(Path.Combine(repo, "tinyrun"), [], repo, environment);
        Assert.True(next.ExitCode == 0 && next.Stdout == "ran\n", next.ToString());
        Assert.Equal(2, Publishes().Length);
        var after = Run.Process(Path.Combine(repo, "tinyrun"), [], repo, environment);
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal(2, Publishes().Length); // and once rebuilt, it is not stale
    }
}
