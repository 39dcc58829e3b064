using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Needs;

/// <summary>
/// Programs of the issue's table in real containers (<c>--network none</c>): built without <c>WithRuntimeNeeds()</c> the
/// build's hints name what the container then lacks, and it fails as the table says; with it, the program does its job.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class NeedsContainerTests(NeedsProgram program) : IClassFixture<NeedsProgram>
{
    [Fact]
    public void A_C_program_fails_as_its_hints_say_without_WithRuntimeNeeds_and_works_with_it()
    {
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var (bare, provided) = (images.Tag("prog-bare"), images.Tag("prog-needs"));
        dir.Write("bare.tiny.csx", $"From.Scratch().AddBinary(\"{program.Path}\", \"/app/prog\").WithLibs().Entrypoint(\"/app/prog\").Tag(\"{bare}\");\n");
        dir.Write("needs.tiny.csx", $"From.Scratch().AddBinary(\"{program.Path}\", \"/app/prog\").WithLibs().WithRuntimeNeeds().Entrypoint(\"/app/prog\").Tag(\"{provided}\");\n");

        var build = Run.Tinyrun(dir.Path, "bare.tiny.csx", "--load");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal(
        [
            "hint: /app/prog imports getpwnam: add .WithUser(...) or .WithPasswd()",
            "hint: /app/prog imports getaddrinfo: add .WithNss()",
            "hint: /app/prog imports iconv_open: add .WithGconv(\"ISO-8859-1\")",
            "hint: /app/prog imports popen: add .AddBinary(\"/bin/sh\") before .WithLibs()",
            "hint: /app/prog imports dlopen and names libz.so.1: add .AddLibrary(\"libz.so.1\")",
        ], build.Stderr.Split('\n').Where(l => l.StartsWith("hint:", StringComparison.Ordinal)));
        var failing = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", bare);
        Assert.True(failing.ExitCode != 0, failing.ToString());
        // Each hint's need is a failure in the container: the table's row for "a C program".
        Assert.Contains("getaddrinfo: Servname not supported", failing.Stdout);
        Assert.Contains("getpwnam: no nobody", failing.Stdout);
        Assert.Contains("iconv_open: failed", failing.Stdout);
        Assert.Contains("dlopen: libz.so.1: cannot open shared object file", failing.Stdout);
        Assert.Contains("popen: failed", failing.Stdout);

        var withNeeds = Run.Tinyrun(dir.Path, "needs.tiny.csx", "--load", "--strict");
        Assert.True(withNeeds.ExitCode == 0, withNeeds.ToString());
        Assert.DoesNotContain("hint:", withNeeds.Stderr);
        var working = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", provided);
        Assert.True(working.ExitCode == 0, working.ToString());
        Assert.Equal("getaddrinfo: ok\ngetpwnam: ok\niconv_open: ok\ndlopen: ok\npopen: ok\n", working.Stdout);
    }

    [Fact]
    public void Python_getpass_needs_a_passwd_entry_which_the_hints_name_and_WithRuntimeNeeds_adds()
    {
        Assert.True(File.Exists("/usr/bin/python3.11"), "the test needs Debian 12's python3.11");
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var (bare, provided) = (images.Tag("python-bare"), images.Tag("python-needs"));
        const string python = "From.Scratch().AddBinary(\"/usr/bin/python3\").AddDirectory(\"/usr/lib/python3.11\", \"/usr/lib/python3.11\").WithLibs()";
        dir.Write("bare.tiny.csx", $"{python}.Tag(\"{bare}\");\n");
        dir.Write("needs.tiny.csx", $"{python}.WithRuntimeNeeds().Tag(\"{provided}\");\n");
        string[] getuser = ["/usr/bin/python3", "-c", "import getpass; print(getpass.getuser())"];

        var build = Run.Tinyrun(dir.Path, "bare.tiny.csx", "--load");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Matches(@"(?m)^hint: /usr/bin/python3\.11 imports \w+: add \.WithUser\(\.\.\.\) or \.WithPasswd\(\)$", build.Stderr);
        var failing = Run.Docker(["run", "--rm", "--pull", "never", "--network", "none", bare, .. getuser]);
        Assert.True(failing.ExitCode != 0, failing.ToString());
        Assert.Contains("uid not found: 0", failing.Stderr);

        var withNeeds = Run.Tinyrun(dir.Path, "needs.tiny.csx", "--load");
        Assert.True(withNeeds.ExitCode == 0, withNeeds.ToString());
        var working = Run.Docker(["run", "--rm", "--pull", "never", "--network", "none", provided, .. getuser]);
        Assert.True(working.ExitCode == 0, working.ToString());
        Assert.Equal("root\n", working.Stdout);
    }

    [Fact]
    public void Ssh_needs_a_passwd_entry_which_the_hints_name_and_WithRuntimeNeeds_adds()
    {
        Assert.True(File.Exists("/usr/bin/ssh") && File.Exists("/usr/bin/ssh-keygen"), "the test needs openssh-client (scripts/install-test-deps.sh)");
        using var dir = new TempDirectory();
        using var images = new EngineImages();
        var (bare, provided) = (images.Tag("ssh-bare"), images.Tag("ssh-needs"));
        dir.Write("bare.tiny.csx", $"From.Scratch().AddBinary(\"/usr/bin/ssh\").WithLibs().Entrypoint(\"/usr/bin/ssh\").Tag(\"{bare}\");\n");
        dir.Write("needs.tiny.csx", $"From.Scratch().AddBinary(\"/usr/bin/ssh\").AddBinary(\"/usr/bin/ssh-keygen\").WithLibs().WithRuntimeNeeds().Entrypoint(\"/usr/bin/ssh\").Tag(\"{provided}\");\n");

        var build = Run.Tinyrun(dir.Path, "bare.tiny.csx", "--load");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Matches(@"(?m)^hint: /usr/bin/ssh imports getpw\w+: add \.WithUser\(\.\.\.\) or \.WithPasswd\(\)$", build.Stderr);
        var failing = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", bare, "-V");
        Assert.True(failing.ExitCode != 0, failing.ToString());
        Assert.Contains("No user exists for uid 0", failing.Stderr);

        var withNeeds = Run.Tinyrun(dir.Path, "needs.tiny.csx", "--load");
        Assert.True(withNeeds.ExitCode == 0, withNeeds.ToString());
        var version = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", provided, "-V");
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.StartsWith("OpenSSH_", version.Stderr);
        var keygen = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", "--entrypoint", "/usr/bin/ssh-keygen", provided,
            "-t", "ed25519", "-N", "", "-q", "-f", "/key");
        Assert.True(keygen.ExitCode == 0, keygen.ToString());
    }
}
