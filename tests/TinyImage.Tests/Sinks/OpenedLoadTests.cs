using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TinyImage.Core.Sinks;

namespace TinyImage.Tests.Sinks;

/// <summary>A load opened before its image is built (issue 10): bounded waits, whatever the guess or the engine does.</summary>
public sealed class OpenedLoadTests
{
    [Fact]
    public async Task A_guess_that_takes_too_long_opens_nothing_and_is_not_waited_for()
    {
        // The guess examines the files the last build was made from; on a vanished network file system that can hang.
        using var daemon = new DockerDaemon("tcp://127.0.0.1:9"); // never contacted: nothing is opened
        using var release = new ManualResetEventSlim();
        var clock = Stopwatch.StartNew();
        var load = new OpenedLoad(daemon, "slow:1", Task.FromResult<string?>("sha256:" + new string('1', 64)), _ =>
        {
            release.Wait(TimeSpan.FromSeconds(30));
            return true;
        }, CancellationToken.None);

        Assert.False(await load.IsOpenAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited {clock.Elapsed} for the guess");
        release.Set();
    }

    [Fact]
    public async Task A_load_ended_with_no_image_closes_its_connection_when_the_engine_does_not_answer()
    {
        // A hung engine would otherwise hold the connection (and a build server's task) for the load's 10 minutes.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var daemon = new DockerDaemon($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        var load = new OpenedLoad(daemon, "hung:1", Task.FromResult<string?>(null), likelyChanged: null, CancellationToken.None);
        using var engine = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(await load.IsOpenAsync());

        var clock = Stopwatch.StartNew();
        load.Abandon(); // the engine reads everything and never answers
        var stream = engine.GetStream();
        var buffer = new byte[64 * 1024];
        while (await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20)) > 0) { }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the connection stayed open {clock.Elapsed}");
    }
}
