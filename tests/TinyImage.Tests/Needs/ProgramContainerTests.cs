using System.Text.RegularExpressions;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Needs;

/// <summary>
/// Programs of issue 12's table doing their real job in containers, each from the smallest recipe (AddBinary, WithLibs,
/// WithRuntimeNeeds, a preset, the program's own configuration where it has no default), and built without
/// WithRuntimeNeeds: the build's hints name what the container then fails on.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class ProgramContainerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly EngineImages _images = new();
    private readonly List<string> _volumes = [];

    public void Dispose()
    {
        if (_volumes.Count > 0) Run.Docker(["volume", "rm", "-f", .. _volumes]);
        _images.Dispose();
        _dir.Dispose();
    }

    /// <summary>Builds the recipe <paramref name="recipe"/> (tagged <paramref name="tag"/>) into the engine; returns the hint lines.</summary>
    private List<string> Build(string name, string recipe, string tag)
    {
        _dir.Write(name + ".tiny.csx", recipe.Replace("TAG", tag, StringComparison.Ordinal));
        var build = Run.Tinyrun(_dir.Path, name + ".tiny.csx", "--load");
        Assert.True(build.ExitCode == 0, build.ToString());
        return [.. build.Stderr.Split('\n').Where(l => l.StartsWith("hint:", StringComparison.Ordinal))];
    }

    private static ProcessResult Docker(params string[] args) => Run.Docker(["run", "--rm", "--pull", "never", "--network", "none", .. args]);

    private string Volume()
    {
        var name = "tinyimage-test-" + Guid.NewGuid().ToString("N")[..12];
        _volumes.Add(name);
        return name;
    }

    [Fact]
    public void Git_inits_commits_and_logs_as_a_non_root_user_and_without_WithRuntimeNeeds_the_hints_name_what_fails()
    {
        Assert.True(File.Exists("/usr/bin/git") && Directory.Exists("/usr/share/git-core/templates"), "the test needs Debian's git (scripts/install-test-deps.sh)");
        var (bare, provided) = (_images.Tag("git-bare"), _images.Tag("git-needs"));

        var hints = Build("bare", """From.Scratch().AddBinary("/usr/bin/git").WithLibs().MkDir("/work", 777).WorkDir("/work").Entrypoint("/usr/bin/git").Tag("TAG");""", bare);
        Assert.Contains(hints, h => Regex.IsMatch(h, @"^hint: /usr/bin/git imports getpw\w+: add \.WithUser\(\.\.\.\) or \.WithPasswd\(\)$"));
        Assert.Contains(hints, h => Regex.IsMatch(h, @"^hint: /usr/bin/git imports exec\w+: add \.AddBinary\(""/bin/sh""\) before \.WithLibs\(\)$"));
        Assert.Contains("hint: /usr/bin/git is git: add .WithGitCore()", hints);
        // The table's row for git: each failure is one of those hints.
        var work = Volume();
        var init = Docker("-v", work + ":/work", bare, "init", "-q", "repo");
        Assert.Contains("templates not found in /usr/share/git-core/templates", init.Stderr); // WithGitCore
        var commit = Docker("-v", work + ":/work", "-w", "/work/repo", bare, "commit", "-q", "--allow-empty", "-m", "first");
        Assert.True(commit.ExitCode != 0, commit.ToString());
        Assert.Contains("Author identity unknown", commit.Stderr);
        Assert.Contains("(got 'unknown@", commit.Stderr); // no passwd entry for uid 0: WithPasswd
        var identified = Docker("-v", work + ":/work", "-w", "/work/repo", bare, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "first");
        Assert.True(identified.ExitCode == 0, identified.ToString());
        var paged = Docker("-t", "-v", work + ":/work", "-w", "/work/repo", bare, "log");
        Assert.Contains("cannot run pager", paged.Stdout + paged.Stderr); // git runs $PAGER, less, which the image lacks

        Build("needs", """
            From.Scratch()
                .AddBinary("/usr/bin/git")
                .WithLibs()
                .WithRuntimeNeeds()
                .AddText("/etc/gitconfig", "[user]\n\tname = Dev\n\temail = dev@example.com\n[init]\n\tdefaultBranch = main\n")
                .Env("GIT_PAGER", "cat")
                .WithUser("dev", 1000)
                .WorkDir("/home/dev")
                .Entrypoint("/usr/bin/git")
                .Tag("TAG");
            """, provided);
        Assert.Equal("1000:1000", Run.Docker("image", "inspect", provided, "--format", "{{.Config.User}}").Stdout.Trim());
        var home = Volume(); // a new volume takes /home/dev from the image, owned by dev
        var initialised = Docker("-v", home + ":/home/dev", provided, "init", "-q", "repo");
        Assert.True(initialised.ExitCode == 0 && initialised.Stderr.Length == 0, initialised.ToString());
        var committed = Docker("-v", home + ":/home/dev", "-w", "/home/dev/repo", provided, "commit", "-q", "--allow-empty", "-m", "first commit");
        Assert.True(committed.ExitCode == 0, committed.ToString());
        var log = Docker("-t", "-v", home + ":/home/dev", "-w", "/home/dev/repo", provided, "log", "--format=%an <%ae> %s on %D");
        Assert.True(log.ExitCode == 0, log.ToString());
        Assert.Equal("Dev <dev@example.com> first commit on HEAD -> main", log.Stdout.Trim());
        var hooks = Docker("-v", home + ":/home/dev", "--entrypoint", "/usr/bin/git", provided, "-C", "repo", "rev-parse", "--git-path", "hooks/pre-commit.sample");
        Assert.Equal(".git/hooks/pre-commit.sample", hooks.Stdout.Trim());
    }

    private const string ImportScript =
        "import json, sqlite3, ssl, decimal, zoneinfo, datetime\n" +
        "try: offset = datetime.datetime(2026, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo('Europe/Paris')).utcoffset().seconds\n" +
        "except zoneinfo.ZoneInfoNotFoundError: offset = 'no Europe/Paris'\n" +
        "print(json.dumps([sqlite3.connect(':memory:').execute('select 6*7').fetchone()[0], str(decimal.Decimal(1) / 8), " +
        "len(ssl.create_default_context().get_ca_certs()) > 0, offset]))";

    [Fact]
    public async Task Python_with_WithPythonStdlib_serves_http_and_imports_its_modules_and_without_it_the_hints_name_what_fails()
    {
        Assert.True(File.Exists("/usr/bin/python3.11"), "the test needs Debian 12's python3.11");
        var (bare, stdlib, provided) = (_images.Tag("python-bare"), _images.Tag("python-stdlib"), _images.Tag("python-needs"));
        const string python = """From.Scratch().AddBinary("/usr/bin/python3").WithLibs()""";

        var bareHints = Build("bare", python + """.Entrypoint("/usr/bin/python3").Tag("TAG");""", bare);
        Assert.Contains("hint: /usr/bin/python3.11 is python 3.11: add .WithPythonStdlib()", bareHints);
        var noStdlib = Docker(bare, "-c", "pass");
        Assert.True(noStdlib.ExitCode != 0, noStdlib.ToString());
        Assert.Contains("No module named 'encodings'", noStdlib.Stderr);

        var stdlibHints = Build("stdlib", python + """.WithPythonStdlib(bytecode: false).Entrypoint("/usr/bin/python3").Tag("TAG");""", stdlib);
        Assert.DoesNotContain(stdlibHints, h => h.Contains("WithPythonStdlib", StringComparison.Ordinal));
        Assert.Contains(stdlibHints, h => Regex.IsMatch(h, @"^hint: /usr/lib/python3\.11/lib-dynload/_ssl\.cpython-311-x86_64-linux-gnu\.so imports \w+: add \.WithCaCertificates\(\)$"));
        Assert.Contains(stdlibHints, h => Regex.IsMatch(h, @"^hint: /usr/bin/python3\.11 imports \w+: add \.WithTimezones\(\) or \.WithTimezone\(""Etc/UTC""\)$"));
        var missing = Docker(stdlib, "-c", ImportScript);
        Assert.True(missing.ExitCode == 0, missing.ToString());
        Assert.Equal("[42, \"0.125\", false, \"no Europe/Paris\"]\n", missing.Stdout); // no CA certificates, no time zones

        Build("needs", python + """
            .WithPythonStdlib(bytecode: false)
                .WithRuntimeNeeds()
                .AddText("/srv/hello.txt", "hello from http.server\n")
                .Entrypoint("/usr/bin/python3")
                .Tag("TAG");
            """, provided);
        var imports = Docker(provided, "-c", ImportScript);
        Assert.True(imports.ExitCode == 0, imports.ToString());
        Assert.Equal("[42, \"0.125\", true, 7200]\n", imports.Stdout);

        var port = DockerRecipeTests.FreeLoopbackPort();
        var name = $"tinyimage-python-{port}";
        var start = Run.Docker("run", "-d", "--rm", "--pull", "never", "--name", name, "--network", "host", provided,
            "-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--directory", "/srv");
        Assert.True(start.ExitCode == 0, start.ToString());
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? body = null;
            for (var attempt = 0; attempt < 100 && body is null; attempt++)
            {
                try { body = await http.GetStringAsync($"http://127.0.0.1:{port}/hello.txt"); }
                catch (HttpRequestException) { await Task.Delay(100); }
            }
            Assert.Equal("hello from http.server\n", body);
        }
        finally
        {
            Run.Docker("rm", "-f", name);
        }
    }
}
