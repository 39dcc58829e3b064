namespace TinyImage.Tests.Integration;

/// <summary>tinyrun test: the tests a recipe declares run in real containers (no network).</summary>
[Collection(DockerCollection.Name)]
public sealed class TestCommandTests
{
    [Fact]
    public void The_bash_ls_recipe_tests_pass_in_a_real_container()
    {
        Run.Docker("version");
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        // `tinyrun test` loads the recipe's own Tag: a copy of the recipe names a unique one, not the user's ls:latest.
        var tag = images.Tag("ls");
        var recipe = File.ReadAllText(Path.Combine(Run.RepoRoot, "recipes/bash-ls.tiny.csx"));
        Assert.Contains(".Tag(\"ls:latest\")", recipe);
        dir.Write("bash-ls.tiny.csx", recipe.Replace(".Tag(\"ls:latest\")", $".Tag(\"{tag}\")", StringComparison.Ordinal));
        var result = Run.Tinyrun(dir.Path, "test", "bash-ls.tiny.csx");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"PASS  {tag}  ls lists /bin", result.Stdout);
        Assert.Contains($"PASS  {tag}  /usr/bin/env is absent", result.Stdout);
        Assert.EndsWith("5 passed, 0 failed\n", result.Stdout);
    }

    [Fact]
    public void A_failing_test_exits_1_and_shows_expected_against_actual()
    {
        Run.Docker("version");
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var tag = images.Tag("failing");
        dir.Write("failing.tiny.csx", $$"""
            From.Scratch().AddBinary("/bin/bash").WithLibs().Tag("{{tag}}")
                .Test("says bye", "/bin/bash -c 'echo hi'", expectOutput: "bye")
                .Test("exits 3", "/bin/bash -c 'exit 3'", expectExitCode: 3)
                .TestPathExists("/etc/passwd")
            """);
        var result = Run.Tinyrun(dir.Path, "test", "failing.tiny.csx");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"FAIL  {tag}  says bye  (failing.tiny.csx(2))\n    expected output:\n        bye\n    actual output:\n        hi\n", result.Stdout);
        Assert.Contains($"PASS  {tag}  exits 3", result.Stdout);
        Assert.Contains($"FAIL  {tag}  /etc/passwd exists", result.Stdout);
        Assert.EndsWith("1 passed, 2 failed\n", result.Stdout);
    }

    [Fact]
    public void Finding12_ContainerOutputIsStreamed_OnlyItsEndsAreKeptForTheReport()
    {
        Run.Docker("version");
        using var dir = new TempDirectory();
        var tag = $"tinyimage-loud-{Guid.NewGuid():N}"[..26] + ":1";
        // 32 MB on stdout (and on stderr): before, kept whole as strings, several times over.
        const string loud = "yes 0123456789abcdef | head -c 32000000; echo; echo END";
        dir.Write("loud.tiny.csx", $$"""
            From.Scratch().AddBinary("/bin/bash").AddBinary("/usr/bin/yes").AddBinary("/usr/bin/head").WithLibs().Tag("{{tag}}")
                .Test("loud, exact", "/bin/bash -c '{{loud}}'", expectOutput: "not this")
                .Test("loud, contains its end", "/bin/bash -c '{{loud}}'", expectOutputContains: "cdef\nEND")
                .Test("loud on stderr", "/bin/bash -c '{{loud}} >&2; exit 3'")
                .Test("long, exact", "/bin/bash -c 'yes abc | head -c 200000; echo; echo \"  \"'", expectOutput: string.Concat(Enumerable.Repeat("abc\n", 50000)))
                .Test("long, not exact", "/bin/bash -c 'yes abc | head -c 200000; echo x'", expectOutput: string.Concat(Enumerable.Repeat("abc\n", 50000)))
            """);
        var env = new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache") };
        try
        {
            Assert.Equal(0, Run.Tinyrun(env, dir.Path, "loud.tiny.csx", "-o", dir.Combine("loud.tar")).ExitCode); // compiles the recipe
            var result = Run.Process("/usr/bin/time", ["-f", "maxrss %M", "dotnet", Path.Combine(AppContext.BaseDirectory, "tinyrun.dll"), "test", "loud.tiny.csx"], dir.Path, env);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"PASS  {tag}  loud, contains its end\n", result.Stdout);
            Assert.Contains($"PASS  {tag}  long, exact\n", result.Stdout);
            Assert.Contains($"FAIL  {tag}  long, not exact", result.Stdout);
            Assert.Contains($"FAIL  {tag}  loud, exact  (loud.tiny.csx(2))\n    expected output:\n        not this\n    actual output:\n        0123456789abcdef\n", result.Stdout);
            Assert.Contains("characters not shown", result.Stdout);
            Assert.Contains("\n        END\n", result.Stdout);
            Assert.Contains($"FAIL  {tag}  loud on stderr  (loud.tiny.csx(4))\n    expected exit code 0, got 3\n    stderr:\n", result.Stdout);
            Assert.EndsWith("2 passed, 3 failed\n", result.Stdout);
            Assert.True(result.Stdout.Length < 256 * 1024, $"a report of {result.Stdout.Length} characters");
            var maxRss = long.Parse(result.Stderr.Trim().Split('\n')[^1].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(maxRss < 300 * 1024, $"tinyrun test used {maxRss} KB");
        }
        finally
        {
            Run.Docker("rmi", "-f", tag);
        }
    }
}
