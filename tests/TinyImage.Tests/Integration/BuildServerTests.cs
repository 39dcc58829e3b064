using System.Diagnostics;
using System.Globalization;
using TinyImage.Runner;

namespace TinyImage.Tests.Integration;

/// <summary>
/// tinyrun's build server (TINYRUN_SERVER=1): a build handed to it is the same build, with the client's environment,
/// working directory and umask, the same output, errors and exit codes; Ctrl-C reaches it; a busy server or an
/// unsafe directory leaves the build to its own process. Each test has a server of its own (its own
/// XDG_RUNTIME_DIR), killed at the end.
/// </summary>
public sealed class BuildServerTests
{
    private static readonly TimeSpan Up = TimeSpan.FromSeconds(60);

    private const string OkRecipe = "From.Scratch().AddText(\"/a\", \"a\").Tag(\"ok:1\");";

    /// <summary>A private runtime directory (so a server of its own), and the variables that build through it.</summary>
    private sealed class Server : IDisposable
    {
        private readonly TempDirectory _runtime = new();

        public Server(string cache)
        {
            Environment = new Dictionary<string, string>
            {
                ["TINYRUN_SERVER"] = "1", ["XDG_RUNTIME_DIR"] = _runtime.Path, ["TINYRUN_SERVER_IDLE"] = "120", ["TINYRUN_CACHE"] = cache,
            };
        }

        public Dictionary<string, string> Environment { get; }

        public string Directory => Path.Combine(_runtime.Path, "tinyrun");

        public bool IsUp => System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFiles(Directory, "*.sock").Any();

        /// <summary>Builds a small recipe (ok.tiny.csx in <paramref name="dir"/>) in its own process, which starts the server; waits until it listens.</summary>
        public void Start(TempDirectory dir)
        {
            dir.Write("ok.tiny.csx", OkRecipe);
            Assert.Equal(0, Run.Tinyrun(Environment, dir.Path, "ok.tiny.csx").ExitCode);
            WaitUntilUp();
        }

        public void WaitUntilUp()
        {
            var waited = Stopwatch.StartNew();
            while (!IsUp)
            {
                Assert.True(waited.Elapsed < Up, $"no build server listened in {Directory} after {Up}");
                Thread.Sleep(50);
            }
        }

        public void WaitUntilDown()
        {
            var waited = Stopwatch.StartNew();
            while (IsUp)
            {
                Assert.True(waited.Elapsed < Up, $"the build server in {Directory} is still up after {Up}");
                Thread.Sleep(50);
            }
        }

        public void Dispose()
        {
            if (System.IO.Directory.Exists(Directory))
                foreach (var held in System.IO.Directory.EnumerateFiles(Directory, "*.pid"))
                    if (int.TryParse(File.ReadAllText(held).Trim(), CultureInfo.InvariantCulture, out var pid))
                        try { using var process = Process.GetProcessById(pid); process.Kill(); }
                        catch (ArgumentException) { }
                        catch (InvalidOperationException) { }
            _runtime.Dispose();
        }
    }

    private static Dictionary<string, string> With(Dictionary<string, string> environment, params (string Name, string Value)[] more)
    {
        var all = new Dictionary<string, string>(environment);
        foreach (var (name, value) in more) all[name] = value;
        return all;
    }

    private const string Recipe = """
        From.Scratch()
            .AddText("/env-" + (Environment.GetEnvironmentVariable("GREETING") ?? "none"), "x")
            .AddText("/arg-" + Args["v"], "x")
            .AddText("/cwd-" + System.IO.Path.GetFileName(Environment.CurrentDirectory), "x")
            .Tag("same:1");
        """;

    [Fact]
    public void A_build_through_the_server_is_the_one_its_own_process_makes_with_the_clients_environment_directory_and_umask()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("app/r.tiny.csx", Recipe);
        var own = Run.Tinyrun(With(server.Environment, ("TINYRUN_SERVER", "0"), ("GREETING", "hello")), dir.Combine("app"), "r.tiny.csx", "--arg", "v=1", "-o", "own.tar");
        Assert.True(own.ExitCode == 0, own.ToString());
        Assert.False(server.IsUp);

        // The first build with the server on builds in its own process and starts the server for the next.
        var first = Run.Tinyrun(With(server.Environment, ("GREETING", "hello")), dir.Combine("app"), "r.tiny.csx", "--arg", "v=1", "-o", "first.tar", "-v");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.DoesNotContain("built in the build server", first.Stderr);
        server.WaitUntilUp();

        var served = Run.Tinyrun(With(server.Environment, ("GREETING", "hello")), dir.Combine("app"), "r.tiny.csx", "--arg", "v=1", "-o", "served.tar", "-v");
        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Contains("built in the build server", served.Stderr);
        Assert.Equal(File.ReadAllBytes(dir.Combine("app/own.tar")), File.ReadAllBytes(dir.Combine("app/served.tar")));
        Assert.Equal(own.Stdout.Replace("own.tar", "served.tar"), served.Stdout);
        Assert.Equal(["/arg-1", "/cwd-app", "/env-hello"], ImageArchive.Read(dir.Combine("app/served.tar")).NonDirectories().Order(StringComparer.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(dir.Combine("app/served.tar")));

        // Another build, from another directory, with other variables and another umask: each is the client's.
        Directory.CreateDirectory(dir.Combine("other"));
        var environment = With(server.Environment, ("GREETING", "bonjour"));
        var other = Run.Process("sh", ["-c", "umask 077 && exec dotnet \"$0\" \"$@\"", Run.TinyrunDll, "../app/r.tiny.csx", "--arg", "v=2", "-o", "o.tar", "-v"],
            dir.Combine("other"), environment);
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.Contains("built in the build server", other.Stderr);
        Assert.Equal(["/arg-2", "/cwd-other", "/env-bonjour"], ImageArchive.Read(dir.Combine("other/o.tar")).NonDirectories().Order(StringComparer.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.Combine("other/o.tar")));

        // A variable the client does not have is not left over from the build before.
        var unset = new Dictionary<string, string>(server.Environment);
        var third = Run.Process("env", ["-u", "GREETING", "dotnet", Run.TinyrunDll, "r.tiny.csx", "--arg", "v=3", "-o", "third.tar", "-v"], dir.Combine("app"), unset);
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Contains("built in the build server", third.Stderr);
        Assert.Contains("/env-none", ImageArchive.Read(dir.Combine("app/third.tar")).NonDirectories());
    }

    [Fact]
    public void Errors_and_exit_codes_come_back_as_from_its_own_process_and_a_recipe_that_exits_ends_the_server()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("throws.tiny.csx", "From.Scratch();\nthrow new InvalidOperationException(\"recipe says no\");\n");
        dir.Write("exits.tiny.csx", "From.Scratch();\nEnvironment.Exit(0);\n");
        server.Start(dir);

        foreach (var args in new[] { new[] { "throws.tiny.csx" }, ["ok.tiny.csx", "--no-such-option"], ["missing.tiny.csx"], ["ok.tiny.csx", "--arg", "novalue"] })
        {
            var own = Run.Tinyrun(With(server.Environment, ("TINYRUN_SERVER", "0")), dir.Path, args);
            var served = Run.Tinyrun(server.Environment, dir.Path, args);
            Assert.NotEqual(0, own.ExitCode);
            Assert.Equal((own.ExitCode, own.Stdout, own.Stderr), (served.ExitCode, served.Stdout, served.Stderr));
        }
        Assert.True(server.IsUp);

        var exits = Run.Tinyrun(server.Environment, dir.Path, "exits.tiny.csx");
        Assert.Equal(1, exits.ExitCode);
        Assert.Equal(ProcessLifetime.RecipeExitMessage(0), exits.Stderr.Trim());
        server.WaitUntilDown();
        // The next build builds in its own process, and starts a server again.
        server.Start(dir);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_signal_reaches_the_build_in_the_server_which_ends_after_it(string signal, int exitCode)
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("spin.tiny.csx", "System.Console.Error.WriteLine(\"spinning\");\nwhile (true) { }\n");
        server.Start(dir);

        using var tinyrun = new RunningTinyrun(dir.Path, server.Environment, "spin.tiny.csx");
        tinyrun.WaitUntil(() => tinyrun.Stderr.Contains("spinning"), TimeSpan.FromMinutes(5), "the recipe's loop, in the server");
        tinyrun.Signal(signal);

        Assert.Equal(exitCode, tinyrun.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal($"tinyrun: cancelled (SIG{signal}); every output is either complete or as it was before",
            Assert.Single(tinyrun.Stderr.Split('\n'), l => l.StartsWith("tinyrun:", StringComparison.Ordinal)));
        // The recipe's thread still spins: the server ends rather than serve beside it.
        server.WaitUntilDown();
    }

    [Fact]
    public void A_build_that_finds_the_server_busy_builds_in_its_own_process()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("waits.tiny.csx", """
            System.Console.Error.WriteLine("waiting");
            for (var i = 0; i < 1200 && !System.IO.File.Exists("release"); i++) System.Threading.Thread.Sleep(50);
            From.Scratch().AddText("/b", "b").Tag("waits:1");
            """);
        server.Start(dir);

        using var waiting = new RunningTinyrun(dir.Path, server.Environment, "waits.tiny.csx", "-v");
        waiting.WaitUntil(() => waiting.Stderr.Contains("waiting"), TimeSpan.FromMinutes(5), "the recipe's wait, in the server");
        var meanwhile = Run.Tinyrun(server.Environment, dir.Path, "ok.tiny.csx", "-v");
        Assert.True(meanwhile.ExitCode == 0, meanwhile.ToString());
        Assert.DoesNotContain("built in the build server", meanwhile.Stderr);

        File.WriteAllText(dir.Combine("release"), "");
        Assert.Equal(0, waiting.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("built in the build server", waiting.Stderr);
        Assert.True(File.Exists(dir.Combine("out/waits.tar")));
    }

    [Fact]
    public void A_build_from_another_network_namespace_is_not_handed_to_the_server_of_this_one()
    {
        // Same files and user, another 127.0.0.1: a build handed over would push to the server's loopback, not its own.
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("net.tiny.csx", """
            var net = new string(new System.IO.FileInfo("/proc/self/ns/net").LinkTarget!.Where(char.IsDigit).ToArray());
            From.Scratch().AddText("/net-" + net, "").Tag("net:1");
            """);
        server.Start(dir);
        var unshare = Run.Process("unshare", ["--net", "true"]);
        Assert.True(unshare.ExitCode == 0, $"this test needs unshare --net (root, util-linux): {unshare}");

        var here = Run.Tinyrun(server.Environment, dir.Path, "net.tiny.csx", "-o", "here.tar", "-v");
        Assert.True(here.ExitCode == 0, here.ToString());
        Assert.Contains("built in the build server", here.Stderr);
        var apart = Run.Process("unshare", ["--net", "dotnet", Run.TinyrunDll, "net.tiny.csx", "-o", "apart.tar", "-v"], dir.Path, server.Environment);
        Assert.True(apart.ExitCode == 0, apart.ToString());
        Assert.DoesNotContain("built in the build server", apart.Stderr);
        Assert.Equal([$"/net-{new string(new FileInfo("/proc/self/ns/net").LinkTarget!.Where(char.IsDigit).ToArray())}"], ImageArchive.Read(dir.Combine("here.tar")).NonDirectories());
        Assert.Single(ImageArchive.Read(dir.Combine("apart.tar")).NonDirectories().Except(ImageArchive.Read(dir.Combine("here.tar")).NonDirectories()));
    }

    [Fact]
    public void A_server_directory_others_can_write_is_refused_in_one_line_and_the_build_runs_in_its_own_process()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        Directory.CreateDirectory(server.Directory);
        File.SetUnixFileMode(server.Directory, (UnixFileMode)0x1FF); // 0777
        dir.Write("ok.tiny.csx", OkRecipe);

        var build = Run.Tinyrun(server.Environment, dir.Path, "ok.tiny.csx");

        Assert.True(build.ExitCode == 0, build.ToString());
        var warning = Assert.Single(build.Stderr.Split('\n'), l => l.StartsWith("tinyrun:", StringComparison.Ordinal));
        Assert.StartsWith($"tinyrun: warning: the build server's directory {server.Directory} can be written by others", warning);
        Assert.EndsWith("; building without the build server", warning);
        Assert.False(server.IsUp);
    }

    [Theory]
    [InlineData("-o-")]
    [InlineData("@stdout.rsp")]
    public void An_archive_to_stdout_however_it_is_spelt_is_written_by_the_server_as_by_its_own_process(string output)
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("stdout.rsp", "-o\n-\n");
        dir.Write("says.tiny.csx", "System.Console.WriteLine(\"said\"); From.Scratch().AddText(\"/a\", \"a\").Tag(\"says:1\");");
        server.Start(dir);

        var own = Run.Tinyrun(With(server.Environment, ("TINYRUN_SERVER", "0")), dir.Path, "says.tiny.csx", output, "-v");
        var served = Run.Tinyrun(server.Environment, dir.Path, "says.tiny.csx", output, "-v");

        Assert.True(own.ExitCode == 0, own.ToString());
        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Contains("built in the build server", served.Stderr);
        Assert.Equal(own.Stdout, served.Stdout); // the archive, and nothing else: what the recipe says goes to stderr
        Assert.Contains("said\n", own.Stderr);
        Assert.Contains("said\n", served.Stderr);
    }

    [Fact]
    public void A_recipe_that_reads_stdin_reads_the_commands()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("stdin.tiny.csx", "From.Scratch().AddText(\"/in-\" + (System.Console.In.ReadLine() ?? \"none\"), \"x\").Tag(\"in:1\");");
        server.Start(dir);

        var served = Run.Process("dotnet", [Run.TinyrunDll, "stdin.tiny.csx", "-o", "in.tar", "-v"], dir.Path, server.Environment, stdin: "secret\n");

        // The server reads the command's own stdin, a pipe here.
        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Contains("built in the build server", served.Stderr);
        Assert.Equal(["/in-secret"], ImageArchive.Read(dir.Combine("in.tar")).NonDirectories());
    }

    [Fact]
    public void With_an_archive_to_stdout_what_a_recipe_writes_to_stdout_and_stderr_at_once_reaches_stderr_whole()
    {
        // Console.Out and Console.Error then write to the same file: in the command's own process through one lock (a
        // writer shared by two threads unlocked loses and garbles text).
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("both.tiny.csx", """
            var threads = new[] { System.Console.Out, System.Console.Error }.Select(w => new System.Threading.Thread(() => { for (var i = 0; i < 20000; i++) w.WriteLine("line-" + i); })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            From.Scratch().AddText("/b", "b").Tag("both:1");
            """);
        server.Start(dir);

        var served = Run.Tinyrun(server.Environment, dir.Path, "both.tiny.csx", "-o", "-", "-v");

        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Contains("built in the build server", served.Stderr);
        Assert.Equal(40000, served.Stderr.Split('\n').Count(line => System.Text.RegularExpressions.Regex.IsMatch(line, "^line-[0-9]+$")));
    }

    [Fact]
    public void A_program_the_recipe_starts_itself_writes_to_the_commands_stdout_and_stderr()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("child.tiny.csx", """
            var child = System.Diagnostics.Process.Start("/bin/sh", ["-c", "echo child-out; echo child-err >&2; test -t 1 || echo not-a-terminal"])!;
            child.WaitForExit();
            From.Scratch().AddText("/c", "c").Tag("child:1");
            """);
        server.Start(dir);

        var own = Run.Tinyrun(With(server.Environment, ("TINYRUN_SERVER", "0")), dir.Path, "child.tiny.csx", "-q");
        var served = Run.Tinyrun(server.Environment, dir.Path, "child.tiny.csx", "-q");
        var again = Run.Tinyrun(server.Environment, dir.Path, "child.tiny.csx", "-v");

        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Equal("child-out\nnot-a-terminal\n", own.Stdout[..own.Stdout.IndexOf("child:1", StringComparison.Ordinal)]);
        Assert.Equal(own.Stdout, served.Stdout);
        Assert.Contains("child-err\n", served.Stderr);
        Assert.Contains("built in the build server", again.Stderr);
        Assert.StartsWith("child-out\n", again.Stdout);
    }

    [Fact]
    public async Task A_build_in_the_server_uses_its_clients_proxy_variables_not_those_of_a_build_before()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        server.Start(dir);
        // A proxy that takes connections and drops them, counting; a registry port nobody listens on.
        using var proxy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        proxy.Start();
        var connections = 0;
        var counting = Task.Run(async () =>
        {
            try
            {
                while (true) { using var c = await proxy.AcceptTcpClientAsync(); Interlocked.Increment(ref connections); }
            }
            catch (System.Net.Sockets.SocketException) { }
            catch (ObjectDisposedException) { }
        });
        using var unused = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        unused.Start();
        var registryPort = ((System.Net.IPEndPoint)unused.LocalEndpoint).Port;
        unused.Stop();
        var proxyUrl = $"http://127.0.0.1:{((System.Net.IPEndPoint)proxy.LocalEndpoint).Port}";
        string[] push = ["ok.tiny.csx", "--push", "--tag", $"127.0.0.1:{registryPort}/review/x:1", "-v"];

        var throughProxy = Run.Tinyrun(With(server.Environment, ("http_proxy", proxyUrl), ("HTTP_PROXY", proxyUrl)), dir.Path, push);
        var afterFirst = Volatile.Read(ref connections);
        Assert.True(afterFirst > 0, $"the first push did not use its proxy: {throughProxy}");

        var direct = Run.Tinyrun(server.Environment, dir.Path, push);
        Assert.NotEqual(0, direct.ExitCode);
        Assert.Equal(afterFirst, Volatile.Read(ref connections));
        proxy.Stop();
        await counting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void What_a_recipe_left_running_writes_does_not_reach_a_later_builds_output()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        dir.Write("ticks.tiny.csx", """
            new System.Threading.Thread(() => { while (true) { System.Console.WriteLine("tick"); System.Threading.Thread.Sleep(20); } }) { IsBackground = true }.Start();
            From.Scratch().AddText("/t", "t").Tag("ticks:1");
            """);
        server.Start(dir);
        var ticks = Run.Tinyrun(server.Environment, dir.Path, "ticks.tiny.csx", "-v");
        Assert.True(ticks.ExitCode == 0, ticks.ToString());
        Assert.Contains("built in the build server", ticks.Stderr);

        var own = Run.Tinyrun(With(server.Environment, ("TINYRUN_SERVER", "0")), dir.Path, "ok.tiny.csx");
        var served = Run.Tinyrun(server.Environment, dir.Path, "ok.tiny.csx", "-v");

        Assert.Contains("built in the build server", served.Stderr);
        Assert.Equal(own.Stdout, served.Stdout);
    }

    [Fact]
    public void A_verbose_build_without_load_says_nothing_of_docker_dotnet()
    {
        using var dir = new TempDirectory();
        dir.Write("ok.tiny.csx", OkRecipe);

        var build = Run.Tinyrun(new Dictionary<string, string> { ["TINYRUN_CACHE"] = dir.Combine("cache"), ["TINYRUN_SERVER"] = "0" }, dir.Path, "ok.tiny.csx", "-v");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("docker.dotnet", build.Stderr);
    }

    [Fact]
    public void A_server_directory_that_is_a_link_even_to_a_private_directory_of_ours_is_refused()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        var elsewhere = dir.Combine("elsewhere");
        Directory.CreateDirectory(elsewhere, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(server.Directory, elsewhere);
        dir.Write("ok.tiny.csx", OkRecipe);

        var build = Run.Tinyrun(server.Environment, dir.Path, "ok.tiny.csx");

        Assert.True(build.ExitCode == 0, build.ToString());
        var warning = Assert.Single(build.Stderr.Split('\n'), l => l.StartsWith("tinyrun:", StringComparison.Ordinal));
        Assert.StartsWith($"tinyrun: warning: the build server's directory {server.Directory} is a symbolic link", warning);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Fact]
    public void Sigterm_ends_the_server_and_takes_its_socket_and_pid_file_with_it()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        server.Start(dir);
        var pid = Assert.Single(Directory.EnumerateFiles(server.Directory, "*.pid"));

        Assert.Equal(0, Run.Process("kill", ["-TERM", File.ReadAllText(pid).Trim()]).ExitCode);

        server.WaitUntilDown();
        Assert.Empty(Directory.EnumerateFiles(server.Directory, "*.pid"));
        Assert.Equal(0, Run.Tinyrun(server.Environment, dir.Path, "ok.tiny.csx").ExitCode);
    }

    [Fact]
    public void A_socket_path_too_long_for_the_kernel_is_refused_in_one_line_and_the_build_runs_in_its_own_process()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        var deep = Path.Combine(dir.Path, new string('d', 60), new string('e', 60));
        Directory.CreateDirectory(deep, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        dir.Write("ok.tiny.csx", OkRecipe);

        var build = Run.Tinyrun(With(server.Environment, ("XDG_RUNTIME_DIR", deep)), dir.Path, "ok.tiny.csx");

        Assert.True(build.ExitCode == 0, build.ToString());
        var warning = Assert.Single(build.Stderr.Split('\n'), l => l.StartsWith("tinyrun:", StringComparison.Ordinal));
        Assert.Matches("^tinyrun: warning: the build server's socket .* would be longer than 107 bytes; set XDG_RUNTIME_DIR to a shorter directory, or unset TINYRUN_SERVER; building without the build server$", warning);
    }

    [Fact]
    public void A_client_that_hands_over_no_files_or_a_request_alone_is_dropped_and_the_server_serves_on()
    {
        using var dir = new TempDirectory();
        using var server = new Server(dir.Combine("cache"));
        server.Start(dir);
        var socketPath = Directory.EnumerateFiles(server.Directory, "*.sock").Single();
        var request = new BuildServer.Request(["ok.tiny.csx", "-o", "never.tar"], dir.Path, new Dictionary<string, string>(), 18, false).ToBytes();
        using var framed = new MemoryStream();
        Frames.Write(framed, Frames.Request, request);
        foreach (var bytes in new[] { framed.ToArray(), "f"u8.ToArray(), [] })
        {
            using var raw = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            raw.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
            raw.Send(bytes);
            raw.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            // Dropped (closed, or reset: what was sent is unread), with no answer: nothing was built.
            var answer = new byte[16];
            try
            {
                Assert.Equal(0, raw.Receive(answer));
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset)
            {
            }
        }

        var served = Run.Tinyrun(server.Environment, dir.Path, "ok.tiny.csx", "-v");
        Assert.True(served.ExitCode == 0, served.ToString());
        Assert.Contains("built in the build server", served.Stderr);
        Assert.False(File.Exists(dir.Combine("never.tar")));
    }

    [Fact]
    public async Task Frames_and_requests_from_random_or_damaged_bytes_are_refused_as_invalid_data()
    {
        var random = new Random(20261130);
        var request = new BuildServer.Request(["r.tiny.csx", "-o", "x.tar"], "/tmp/ü", new Dictionary<string, string> { ["A"] = "b=c", ["E"] = "" }, 18, true).ToBytes();
        var parsed = BuildServer.Request.Parse(request);
        Assert.Equal(["r.tiny.csx", "-o", "x.tar"], parsed.Arguments);
        Assert.Equal(("/tmp/ü", 18u, true), (parsed.WorkingDirectory, parsed.Umask, parsed.StderrIsTerminal));
        Assert.Equal(new Dictionary<string, string> { ["A"] = "b=c", ["E"] = "" }, parsed.Environment);
        Assert.Throws<InvalidDataException>(() => BuildServer.Request.Parse([1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F])); // 2^31 - 1 arguments
        Assert.Throws<InvalidDataException>(() => BuildServer.Request.Parse([2, 0, 0, 0])); // another version
        using var whole = new MemoryStream();
        Frames.Write(whole, Frames.Request, request);
        var framed = whole.ToArray();
        for (var i = 0; i < 2000; i++)
        {
            var bytes = (byte[])framed.Clone();
            if (i % 2 == 0) bytes = bytes[..random.Next(bytes.Length)];
            else for (var n = random.Next(1, 8); n > 0; n--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            try
            {
                if (await Frames.ReadAsync(new MemoryStream(bytes), 1 << 20, CancellationToken.None) is { } frame) BuildServer.Request.Parse(frame.Payload);
            }
            catch (InvalidDataException)
            {
            }
        }
        await Assert.ThrowsAsync<InvalidDataException>(() => Frames.ReadAsync(new MemoryStream([.. Frames.Header(Frames.Exit, int.MaxValue)]), 1 << 20, CancellationToken.None));
        Assert.Null(await Frames.ReadAsync(new MemoryStream(), 16, CancellationToken.None));
    }
}
