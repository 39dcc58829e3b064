using System.Net.Sockets;

namespace TinyImage.Tests.Integration;

/// <summary>
/// Issue 8, finding 11: an engine socket that accepts connections but never answers. tinyrun says what is true: the
/// engine did not answer, and the archive was written but not loaded. TINYRUN_ENGINE_TIMEOUT shortens the wait.
/// </summary>
public sealed class EngineTimeoutTests
{
    [Fact]
    public async Task Finding11_SilentEngineIsATimeoutAndTheWrittenArchiveIsReported()
    {
        using var dir = new TempDirectory();
        dir.Write("r.tiny.csx", "From.Scratch().AddText(\"/a\", \"a\").Tag(\"silent:1\")\n");
        var socketPath = dir.Combine("engine.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen();
        var accepted = new List<Socket>();
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            try { while (true) accepted.Add(await listener.AcceptAsync(stop.Token)); } // read nothing, answer nothing
            catch (OperationCanceledException) { }
        });

        var result = await Task.Run(() => Run.Tinyrun(new Dictionary<string, string>
        {
            ["TINYRUN_CACHE"] = dir.Combine("cache"), ["DOCKER_HOST"] = $"unix://{socketPath}", ["TINYRUN_ENGINE_TIMEOUT"] = "2",
        }, dir.Path, "r.tiny.csx", "--load"));
        stop.Cancel();
        await server;
        foreach (var socket in accepted) socket.Dispose();

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.Stderr.Trim().Split('\n'), l => l.StartsWith("tinyrun:", StringComparison.Ordinal));
        Assert.Contains($"the Docker engine at unix://{socketPath} accepted a connection but did not answer within 2 s", line);
        Assert.EndsWith("; the archive out/silent.tar was written but not loaded", line);
        Assert.DoesNotContain("no output was written", result.Stderr);
        Assert.True(File.Exists(dir.Combine("out/silent.tar")));
    }
}
