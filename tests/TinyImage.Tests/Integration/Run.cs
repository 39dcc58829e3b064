using System.Diagnostics;

namespace TinyImage.Tests.Integration;

/// <summary>
/// Runs external programs (tinyrun, docker, ldd) for the tests, with a time limit, and with this test run's own cache
/// (<see cref="TestRunCache"/>) unless the test gives another <c>TINYRUN_CACHE</c>.
/// </summary>
public static class Run
{
    /// <summary>The repository's root (where TinyImage.sln is).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static ProcessResult Process(string program, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment[TestRunCache.Variable] = TestRunCache.Directory;
        // tinyrun builds in its own process unless a test asks for the build server, or the whole run does
        // (TINYIMAGE_TEST_SERVER=1 scripts/test.sh: every build of the tests goes through it).
        start.Environment["TINYRUN_SERVER"] = ThroughServer ? "1" : "0";
        if (ThroughServer) start.Environment["TINYRUN_SERVER_IDLE"] = "60";
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in time");
        }
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Whether this test run builds through tinyrun's build server (TINYIMAGE_TEST_SERVER=1).</summary>
    public static bool ThroughServer { get; } = Environment.GetEnvironmentVariable("TINYIMAGE_TEST_SERVER") == "1";

    /// <summary>Runs the built tinyrun (the same program the ./tinyrun script starts).</summary>
    public static ProcessResult Tinyrun(string workingDirectory, params string[] args) =>
        Process("dotnet", [TinyrunDll, .. args], workingDirectory);

    /// <summary>Runs the built tinyrun with extra environment variables (e.g. its own TINYRUN_CACHE).</summary>
    public static ProcessResult Tinyrun(IDictionary<string, string> environment, string workingDirectory, params string[] args) =>
        Process("dotnet", [TinyrunDll, .. args], workingDirectory, environment);

    /// <summary>Runs the docker CLI against the test engine; fails the test with how to start it when it is not there.</summary>
    public static ProcessResult Docker(params string[] args)
    {
        var ping = Process("docker", ["version", "--format", "{{.Server.Version}}"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(ping.ExitCode == 0,
            $"No Docker engine answers (docker version: {ping.Stderr.Trim()}). Start one with scripts/start-docker.sh (after scripts/install-test-deps.sh).");
        return Process("docker", args);
    }

    /// <summary>The built tinyrun, to start with dotnet.</summary>
    public static string TinyrunDll => Path.Combine(AppContext.BaseDirectory, "tinyrun.dll");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TinyImage.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find TinyImage.sln above the test binaries");
    }
}
