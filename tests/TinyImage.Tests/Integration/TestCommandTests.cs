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
}
