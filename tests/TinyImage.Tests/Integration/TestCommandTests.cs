namespace TinyImage.Tests.Integration;

/// <summary>tinyrun test: the tests a recipe declares run in real containers (no network).</summary>
[Collection(DockerCollection.Name)]
public sealed class TestCommandTests
{
    [Fact]
    public void The_bash_ls_recipe_tests_pass_in_a_real_container()
    {
        Run.Docker("version");
        var result = Run.Tinyrun(Run.RepoRoot, "test", "recipes/bash-ls.tiny.csx");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("PASS  ls:latest  ls lists /bin", result.Stdout);
        Assert.Contains("PASS  ls:latest  /usr/bin/env is absent", result.Stdout);
        Assert.EndsWith("5 passed, 0 failed\n", result.Stdout);
    }

    [Fact]
    public void A_failing_test_exits_1_and_shows_expected_against_actual()
    {
        Run.Docker("version");
        using var dir = new TempDirectory();
        dir.Write("failing.tiny.csx", """
            From.Scratch().AddBinary("/bin/bash").WithLibs().Tag("tinyimage-failing-test:1")
                .Test("says bye", "/bin/bash -c 'echo hi'", expectOutput: "bye")
                .Test("exits 3", "/bin/bash -c 'exit 3'", expectExitCode: 3)
                .TestPathExists("/etc/passwd")
            """);
        try
        {
            var result = Run.Tinyrun(dir.Path, "test", "failing.tiny.csx");
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("FAIL  tinyimage-failing-test:1  says bye  (failing.tiny.csx(2))\n    expected output:\n        bye\n    actual output:\n        hi\n", result.Stdout);
            Assert.Contains("PASS  tinyimage-failing-test:1  exits 3", result.Stdout);
            Assert.Contains("FAIL  tinyimage-failing-test:1  /etc/passwd exists", result.Stdout);
            Assert.EndsWith("1 passed, 2 failed\n", result.Stdout);
        }
        finally
        {
            Run.Docker("rmi", "-f", "tinyimage-failing-test:1");
        }
    }
}
