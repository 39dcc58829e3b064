using System.Net;
using System.Net.Sockets;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Debian;

/// <summary>
/// Images from Debian packages, end to end through tinyrun and the Docker engine: programs this machine's tests never
/// install (GNU hello), curl with a CA bundle made from the packages, arm64 under qemu, and the lock file's promise
/// (the same digest from two empty caches). The package mirror (from apt's configuration) is their only network.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DebianRecipeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly EngineImages _images = new();

    public void Dispose()
    {
        _images.Dispose();
        _dir.Dispose();
    }

    private static string Recipe(string name) => Path.Combine(Run.RepoRoot, "recipes", name);

    private ProcessResult Tinyrun(string workingDirectory, params string[] args)
    {
        var result = Run.Tinyrun(workingDirectory, args);
        Assert.True(result.ExitCode == 0, $"tinyrun {string.Join(' ', args)}: exit {result.ExitCode}\n{result.Stderr}");
        return result;
    }

    private static string Digest(ProcessResult build) => build.Stdout.Split("  ")[1];

    [Fact]
    public void Mirror_hello_from_packages_runs_in_a_container_on_amd64_and_on_arm64_under_qemu()
    {
        Assert.False(File.Exists("/usr/bin/hello"), "GNU hello is installed on this machine; the test needs a program the host does not have");
        foreach (var platform in new[] { "linux/amd64", "linux/arm64" })
        {
            var tag = _images.Tag("hello-" + platform.Split('/')[1]);
            Tinyrun(Run.RepoRoot, Recipe("hello-deb.tiny.csx"), "--platform", platform, "-t", tag, "-o", _dir.Combine(platform.Replace('/', '-') + ".tar"), "--load", "--locked");
            var run = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", "--platform", platform, tag);
            Assert.True(run.ExitCode == 0, $"{platform}: exit {run.ExitCode}: {run.Stderr} (arm64 needs qemu-user-static and binfmt-support: scripts/install-test-deps.sh)");
            Assert.Equal("Hello, world!\n", run.Stdout);
            Assert.Equal(platform.Split('/')[1], Run.Docker("image", "inspect", tag, "--format", "{{.Architecture}}").Stdout.Trim());
        }
    }

    [Fact]
    public void Mirror_curl_from_packages_runs_on_arm64_under_qemu()
    {
        var tag = _images.Tag("curl-arm64");
        Tinyrun(Run.RepoRoot, Recipe("curl-deb.tiny.csx"), "--platform", "linux/arm64", "-t", tag, "-o", _dir.Combine("curl-arm64.tar"), "--load", "--locked");
        var run = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", "--platform", "linux/arm64", tag, "--version");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.StartsWith("curl 7.88.1 (aarch64-", run.Stdout);
    }

    [Fact]
    public void Mirror_python3_from_packages_runs_a_script_that_imports_json_and_sqlite3()
    {
        var tag = _images.Tag("python");
        Tinyrun(Run.RepoRoot, Recipe("python-deb.tiny.csx"), "-t", tag, "-o", _dir.Combine("python.tar"), "--load", "--locked");
        var run = Run.Docker("run", "--rm", "--pull", "never", "--network", "none", tag, "-c",
            "import json, sqlite3; print(json.dumps({'answer': sqlite3.connect(':memory:').execute('select 6*7').fetchone()[0]}))");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Equal("{\"answer\": 42}\n", run.Stdout);
    }

    [Fact]
    public void Mirror_the_same_lock_gives_the_same_digest_from_two_empty_caches()
    {
        var digests = new List<string>();
        foreach (var cache in new[] { "cache-a", "cache-b" })
        {
            Directory.CreateDirectory(_dir.Combine(cache));
            File.SetUnixFileMode(_dir.Combine(cache), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var build = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = _dir.Combine(cache) }, Run.RepoRoot,
                Recipe("hello-deb.tiny.csx"), "--platform", "linux/arm64", "-o", _dir.Combine(cache + ".tar"), "--locked", "-q");
            Assert.True(build.ExitCode == 0, build.Stderr);
            digests.Add(Digest(build));
        }
        Assert.StartsWith("sha256:", digests[0]);
        Assert.Equal(digests[0], digests[1]);
    }

    [Fact]
    public void Mirror_lock_build_and_locked_round_trip()
    {
        _dir.Write("r.tiny.csx", "From.Scratch().Root(Debian.Release(\"bookworm\").Install(\"hello\")).AddBinary(\"/usr/bin/hello\").WithLibs()\n");
        var locked = Tinyrun(_dir.Path, "lock", "r.tiny.csx");
        Assert.Contains("bookworm: hello for linux/amd64: 4 packages", locked.Stdout);
        var lockText = File.ReadAllText(_dir.Combine("r.tiny.lock"));
        Assert.Contains("Package: hello\n", lockText);
        var first = Digest(Tinyrun(_dir.Path, "r.tiny.csx", "--locked", "-q"));
        Assert.Equal(first, Digest(Tinyrun(_dir.Path, "r.tiny.csx", "-q")));
        Assert.Equal(lockText, File.ReadAllText(_dir.Combine("r.tiny.lock")));

        // The recipe now asks for another package set: --locked refuses, a plain build pins it.
        _dir.Write("r.tiny.csx", "From.Scratch().Root(Debian.Release(\"bookworm\").Install(\"hello\", \"libgcc-s1\")).AddBinary(\"/usr/bin/hello\").WithLibs()\n");
        var refused = Run.Tinyrun(_dir.Path, "r.tiny.csx", "--locked");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("r.tiny.lock: pins no packages for", refused.Stderr);
        Assert.Contains("run 'tinyrun lock'", refused.Stderr);
        Tinyrun(_dir.Path, "r.tiny.csx", "-q");
        Assert.Contains("Install: hello libgcc-s1", File.ReadAllText(_dir.Combine("r.tiny.lock")));
    }

    [Fact]
    public void Mirror_curl_from_packages_fetches_https_from_a_local_server_it_trusts_through_the_bundle()
    {
        var openssl = Run.Process("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], _dir.Path);
        Assert.True(openssl.ExitCode == 0, openssl.Stderr);
        File.Copy(Recipe("curl-deb.tiny.lock"), _dir.Combine("r.tiny.lock"));
        var trusting = _images.Tag("curl-trusting");
        var plain = _images.Tag("curl-plain");
        _dir.Write("r.tiny.csx",
            "var curl = From.Scratch().Root(Debian.Release(\"bookworm\").Install(\"curl\", \"ca-certificates\")).AddBinary(\"/usr/bin/curl\").WithLibs().Entrypoint(\"/usr/bin/curl\");\n" +
            $"curl.WithCaCertificates([\"cert.pem\"]).Tag(\"{trusting}\");\n" +
            $"curl.WithCaCertificates().Tag(\"{plain}\");\n");
        Tinyrun(_dir.Path, "r.tiny.csx", "--locked", "--load", "-o", _dir.Combine("out") + "/");

        var port = FreePort();
        using var server = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("openssl",
            ["s_server", "-accept", $"127.0.0.1:{port}", "-cert", "cert.pem", "-key", "key.pem", "-www", "-quiet"])
        { WorkingDirectory = _dir.Path, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true })!;
        try
        {
            WaitForPort(port);
            var fetched = Run.Docker("run", "--rm", "--pull", "never", "--network", "host", trusting, "-sS", $"https://127.0.0.1:{port}/");
            Assert.True(fetched.ExitCode == 0, $"exit {fetched.ExitCode}: {fetched.Stderr}");
            Assert.Contains("s_server", fetched.Stdout);
            // Without the test's certificate the bundle (Debian's CAs only) does not trust the server: exit 60.
            var refused = Run.Docker("run", "--rm", "--pull", "never", "--network", "host", plain, "-sS", $"https://127.0.0.1:{port}/");
            Assert.Equal(60, refused.ExitCode);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WaitForPort(int port)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        Assert.Fail($"openssl s_server did not listen on 127.0.0.1:{port}");
    }
}
