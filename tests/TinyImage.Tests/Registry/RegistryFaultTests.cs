using System.Collections.Concurrent;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Registry;

/// <summary>Issue 10: pushes that meet 500s, 429s, dropped connections and a registry that dies mid-upload.</summary>
public sealed class RegistryFaultTests
{
    [Fact]
    public async Task ProxyAnswering500AndDroppingConnections_PushStillCompletes_ResumingChunks()
    {
        await using var registry = await LocalRegistry.StartAsync();
        // About one request in four fails, a 500 or a dropped connection, drawn from a fixed seed (the client's
        // requests come one after another, so the same requests fail in every run).
        var random = new Random(20261129);
        using var proxy = new FaultProxy(registry.Address, (_, _, _) =>
            random.Next(4) != 0 ? FaultProxy.Fault.None : random.Next(2) == 0 ? FaultProxy.Fault.Drop : FaultProxy.Fault.Status500);
        var log = new ConcurrentQueue<string>();
        var options = registry.ClientOptions() with { ChunkSize = 2 << 20, MonolithicLimit = 1 << 20, Log = log.Enqueue };
        using var client = new RegistryClient(options);
        var large = NoiseStream.Blob(30, 9L << 20);
        var image = TestImage.From(30, [NoiseStream.Blob(31, 5000), large, NoiseStream.Blob(32, 300_000)]);

        Digest digest;
        try
        {
            (digest, _) = await image.PushAsync(client, RegistryReference.Parse($"{proxy.Address}/faulty:1"));
        }
        catch (TinyImageException e)
        {
            Assert.Fail($"{e.Message}\nproxy:\n{proxy.Log}\nclient:\n{string.Join("\n", log)}");
            throw;
        }

        Assert.True(proxy.Faults >= 3, $"{proxy.Faults} faults");
        // Some dropped connections SocketsHttpHandler sends again by itself (a reused connection that closed before answering).
        Assert.True(options.Counters.Retries >= proxy.Faults / 2, $"{options.Counters.Retries} retries for {proxy.Faults} faults");
        Assert.Contains(log, l => l.Contains("resuming at byte", StringComparison.Ordinal));
        // Resumed, not restarted: less than one extra copy of the large blob went out.
        Assert.True(options.Counters.BytesUploaded < 2 * large.Descriptor.Size, $"{options.Counters.BytesUploaded} bytes sent");
        Assert.Equal(digest, Skopeo.InspectDigest(registry, $"{registry.Address}/faulty:1"));
        using var dir = new TempDirectory();
        await client.DownloadBlobAsync(registry.Reference("faulty:1"), large.Descriptor, dir.Combine("large"), CancellationToken.None);
    }

    [Fact]
    public async Task TooManyRequests_WithALongRetryAfter_WaitsOnlyTheCap()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var proxy = new FaultProxy(registry.Address, (n, _, _) => n <= 2 ? FaultProxy.Fault.Status429 : FaultProxy.Fault.None);
        var options = registry.ClientOptions() with
        {
            Retry = new RegistryRetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(1), MaxRetryAfter = TimeSpan.FromMilliseconds(50) },
        };
        using var client = new RegistryClient(options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // Retry-After asks for an hour

        var exists = await client.BlobExistsAsync(RegistryReference.Parse($"{proxy.Address}/limited:1"), TestImage.Create(1, 10).Config.Descriptor.Digest, timeout.Token);

        Assert.False(exists);
        Assert.Equal(2, options.Counters.Retries);
    }

    [Fact]
    public void RetryDelays_DoubleUpToTheirCap_AndRetryAfterIsCapped()
    {
        var policy = new RegistryRetryPolicy { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(5), MaxRetryAfter = TimeSpan.FromSeconds(30) };

        Assert.Equal([1, 2, 4, 5, 5], Enumerable.Range(1, 5).Select(a => policy.Delay(a, null).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(7), policy.Delay(1, TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromSeconds(30), policy.Delay(1, TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.Zero, policy.Delay(1, TimeSpan.FromSeconds(-3)));
    }

    [Fact]
    public async Task RegistryRestartedMidChunkedUpload_ThePushGoesOnInTheSameUploadSession()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var large = NoiseStream.Blob(60, 10L << 20);
        var image = TestImage.From(60, [large]);
        var reference = registry.Reference("restart/app:1");
        var restarted = 0;
        var counting = new CountingHandler();
        var options = registry.ClientOptions() with
        {
            Handler = counting,
            ChunkSize = 2 << 20,
            MonolithicLimit = 1 << 20,
            // After the second chunk the registry is killed and started again (same storage, port and secret): the
            // connection the client holds is gone (SocketsHttpHandler sends the next PATCH on a new one), the upload
            // session is not: its state is in the storage and in the location the client carries.
            Log = line =>
            {
                if (line.Contains($"{(4 << 20)} of {large.Descriptor.Size} bytes sent", StringComparison.Ordinal) && Interlocked.Exchange(ref restarted, 1) == 0)
                    registry.RestartAsync().GetAwaiter().GetResult();
            },
        };
        using var client = new RegistryClient(options);

        var (digest, results) = await image.PushAsync(client, reference);

        Assert.Equal(1, restarted);
        Assert.Equal(BlobPushResult.Uploaded, results[0]);
        // One session: the chunks after the restart went on where the registry had stopped, nothing started over.
        Assert.Equal(2, counting.Requests.Count(r => r.Method == "POST")); // the large blob's and the config's
        Assert.Equal(5, counting.Requests.Count(r => r.Method == "PATCH"));
        Assert.True(options.Counters.BytesUploaded < large.Descriptor.Size + (4L << 20), $"{options.Counters.BytesUploaded} bytes sent: the upload started over");
        Assert.Equal(digest, Skopeo.InspectDigest(registry, reference.ToString()));
    }

    [Fact]
    public async Task RegistryKilledMidChunkedUpload_FailsInOneLine_AndARerunAfterRestartCompletes()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var large = NoiseStream.Blob(50, 12L << 20);
        var image = TestImage.From(50, [NoiseStream.Blob(51, 4000), large]);
        var reference = registry.Reference("crash/app:1");
        var killed = 0;
        var options = registry.ClientOptions() with
        {
            ChunkSize = 2 << 20,
            MonolithicLimit = 1 << 20,
            // The registry dies after it took the first chunk of the large blob.
            Log = line =>
            {
                if (line.Contains($"{(2 << 20)} of {large.Descriptor.Size} bytes sent", StringComparison.Ordinal) && Interlocked.Exchange(ref killed, 1) == 0)
                    registry.Stop();
            },
        };
        using (var client = new RegistryClient(options))
        {
            var error = await Assert.ThrowsAsync<TinyImageException>(() => image.PushAsync(client, reference));
            Assert.Equal(1, killed);
            Assert.DoesNotContain('\n', error.Message);
            Assert.StartsWith($"cannot connect to registry {registry.Address} at http://{registry.Address} (crash/app)", error.Message);
            Assert.EndsWith("is the registry running?", error.Message);
        }

        await registry.RestartAsync();
        using var rerun = new RegistryClient(registry.ClientOptions() with { ChunkSize = 2 << 20, MonolithicLimit = 1 << 20 });
        var (digest, results) = await image.PushAsync(rerun, reference);

        Assert.Equal([BlobPushResult.Existed, BlobPushResult.Uploaded, BlobPushResult.Uploaded], results);
        Assert.Equal(digest, Skopeo.InspectDigest(registry, reference.ToString()));
        using var dir = new TempDirectory();
        await rerun.DownloadBlobAsync(reference, large.Descriptor, dir.Combine("large"), CancellationToken.None);
    }
}
