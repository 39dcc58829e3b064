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

    /// <summary>The body at <paramref name="url"/> once a server in a container answers there (tried for about 10 s), else null.</summary>
    private static async Task<string?> GetOnceServing(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try { return await http.GetStringAsync(url); }
            catch (HttpRequestException) { await Task.Delay(100); }
        }
        return null;
    }

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

    [Fact]
    public async Task Mirror_nginx_from_Debian_packages_serves_a_file_and_without_WithRuntimeNeeds_the_hints_name_its_user()
    {
        Assert.False(File.Exists("/usr/sbin/nginx"), "nginx is installed on this machine; the test takes it from Debian's packages");
        var (bare, provided) = (_images.Tag("nginx-bare"), _images.Tag("nginx-needs"));
        var port = DockerRecipeTests.FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var recipe = Path.Combine(Run.RepoRoot, "recipes", "nginx-deb.tiny.csx");

        var build = Run.Tinyrun(Run.RepoRoot, recipe, "--locked", "--load", "-t", bare, "-o", _dir.Combine("bare.tar"), "--arg", "runtimeNeeds=false");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("hint: /usr/sbin/nginx imports getpwnam: add .WithUser(...) or .WithPasswd()", build.Stderr.Split('\n'));
        var failing = Docker(bare);
        Assert.True(failing.ExitCode != 0, failing.ToString());
        Assert.Contains("getpwnam(\"nobody\") failed", failing.Stderr); // the table's row for nginx: its workers' user

        build = Run.Tinyrun(Run.RepoRoot, recipe, "--locked", "--load", "-t", provided, "-o", _dir.Combine("needs.tar"), "--arg", "port=" + port);
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("getpwnam", build.Stderr);
        var name = $"tinyimage-nginx-{port}";
        var start = Run.Docker("run", "-d", "--rm", "--pull", "never", "--name", name, "--network", "host", provided);
        Assert.True(start.ExitCode == 0, start.ToString());
        try
        {
            var body = await GetOnceServing($"http://127.0.0.1:{port}/");
            Assert.True(body is not null, Run.Docker("logs", name).ToString());
            Assert.Equal("<h1>nginx from Debian packages in a scratch image</h1>\n", body);
        }
        finally
        {
            Run.Docker("rm", "-f", name);
        }
    }

    [Fact]
    public void Perl_with_WithPerlModules_runs_a_script_using_core_modules_which_without_them_fails_as_its_hint_says()
    {
        Assert.True(File.Exists("/usr/bin/perl"), "the test needs Debian's perl");
        var (bare, provided) = (_images.Tag("perl-bare"), _images.Tag("perl-modules"));
        const string perl = """From.Scratch().AddBinary("/usr/bin/perl").WithLibs()""";
        const string script = "use strict; use warnings; use JSON::PP; use Digest::SHA qw(sha256_hex); print encode_json([substr(sha256_hex('abc'), 0, 8)]), \"\\n\";";

        Assert.Contains("hint: /usr/bin/perl is perl: add .WithPerlModules()", Build("bare", perl + """.Entrypoint("/usr/bin/perl").Tag("TAG");""", bare));
        var failing = Docker(bare, "-e", script);
        Assert.True(failing.ExitCode != 0, failing.ToString());
        Assert.Contains("Can't locate strict.pm in @INC", failing.Stderr);

        Assert.DoesNotContain(Build("modules", perl + """.WithPerlModules().Entrypoint("/usr/bin/perl").Tag("TAG");""", provided), h => h.Contains("WithPerlModules", StringComparison.Ordinal));
        var working = Docker(provided, "-e", script);
        Assert.True(working.ExitCode == 0, working.ToString());
        Assert.Equal("[\"ba7816bf\"]\n", working.Stdout);
    }

    [Fact]
    public void Postgres_initdb_creates_a_cluster_that_answers_a_query_and_without_WithRuntimeNeeds_the_hints_name_what_fails()
    {
        const string bin = "/usr/lib/postgresql/15/bin";
        Assert.True(File.Exists(bin + "/initdb") && File.Exists(bin + "/postgres"), "the test needs Debian 12's postgresql-15");
        var (bare, provided) = (_images.Tag("postgres-bare"), _images.Tag("postgres-needs"));
        const string postgres = $$"""From.Scratch().AddBinary("{{bin}}/initdb").AddBinary("{{bin}}/postgres").WithLibs()""";
        const string user = $$""".WithUser("postgres", 999).Entrypoint("{{bin}}/initdb").Tag("TAG");""";

        var hints = Build("bare", postgres + user, bare);
        Assert.Contains($"hint: {bin}/initdb imports popen: add .AddBinary(\"/bin/sh\") before .WithLibs()", hints);
        Assert.Contains($"hint: {bin}/initdb is postgres 15: add .WithPostgresData()", hints);
        Assert.Contains(hints, h => Regex.IsMatch(h, @"^hint: \S+ imports \w+: add \.WithTimezones\(\) or \.WithTimezone\(""Etc/UTC""\)$"));
        var failing = Docker("-v", Volume() + ":/home/postgres", bare, "-D", "/home/postgres/data");
        Assert.True(failing.ExitCode != 0, failing.ToString());
        Assert.Contains("popen failure: Cannot allocate memory", failing.Stdout + failing.Stderr); // the table's row: no /bin/sh

        Build("needs", postgres + ".WithRuntimeNeeds()" + user, provided);
        var home = Volume();
        var initdb = Docker("-v", home + ":/home/postgres", provided, "-D", "/home/postgres/data", "-E", "UTF8", "--locale=C.utf8");
        Assert.True(initdb.ExitCode == 0, initdb.ToString());
        Assert.Contains("Success.", initdb.Stdout);
        var query = Run.Process("docker", ["run", "-i", "--rm", "--pull", "never", "--network", "none", "-v", home + ":/home/postgres",
            "--entrypoint", bin + "/postgres", provided, "--single", "-D", "/home/postgres/data", "postgres"], stdin: "select 6*7 as answer;\n");
        Assert.True(query.ExitCode == 0, query.ToString());
        Assert.Contains("answer = \"42\"", query.Stdout);
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
            var body = await GetOnceServing($"http://127.0.0.1:{port}/hello.txt");
            Assert.Equal("hello from http.server\n", body);
        }
        finally
        {
            Run.Docker("rm", "-f", name);
        }
    }
}
