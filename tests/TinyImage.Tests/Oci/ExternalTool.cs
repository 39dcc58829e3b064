using System.ComponentModel;
using System.Diagnostics;

namespace TinyImage.Tests.Oci;

/// <summary>
/// Runs a real command-line tool for integration tests. A missing tool fails the test with instructions; it is
/// never skipped.
/// </summary>
internal sealed record ExternalTool(string Name, string HowToGetIt)
{
    public static readonly ExternalTool Docker = new("docker",
        "install the Docker CLI and engine (apt-get install docker.io) and start the daemon (scripts/start-docker.sh)");
    public static readonly ExternalTool Skopeo = new("skopeo", "install skopeo (apt-get install skopeo)");
    public static readonly ExternalTool Umoci = new("umoci", "install umoci (apt-get install umoci)");
    public static readonly ExternalTool Podman = new("podman", "install podman (apt-get install podman, or scripts/install-test-deps.sh)");

    /// <summary>Debian's python3, which has python3-jsonschema; not a pyenv or venv python that may lack it.</summary>
    public static readonly ExternalTool DebianPython = new("/usr/bin/python3",
        "install python3 and python3-jsonschema (apt-get install python3-jsonschema, or scripts/install-test-deps.sh)");

    /// <summary>Runs the tool and returns stdout; fails the test on a non-zero exit.</summary>
    public async Task<string> RunAsync(params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await TryRunAsync(arguments);
        if (exitCode != 0)
            Assert.Fail($"'{Name} {string.Join(' ', arguments)}' exited with {exitCode}:\n{stderr}\n{stdout}");
        return stdout;
    }

    public async Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Name) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"'{Name}' is needed by this test but could not be started ({e.Message}): {HowToGetIt}.");
            throw; // unreachable
        }
        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"'{Name} {string.Join(' ', arguments)}' did not finish within 60 s");
            }
            return (process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>Fails the test, saying how to start it, unless the Docker daemon answers.</summary>
    public static async Task RequireDockerDaemonAsync()
    {
        var (exitCode, _, stderr) = await Docker.TryRunAsync("version", "--format", "{{.Server.Version}}");
        if (exitCode != 0)
            Assert.Fail($"the Docker daemon is not reachable ({stderr.Trim()}): {Docker.HowToGetIt}.");
    }
}
