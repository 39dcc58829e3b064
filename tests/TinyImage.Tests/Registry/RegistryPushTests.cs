using System.Text;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Registry;

/// <summary>Issue 10: pushing to and pulling from a real registry (Debian's docker-registry on 127.0.0.1), checked with skopeo.</summary>
public sealed class RegistryPushTests
{
    [Fact]
    public async Task Push_SkopeoReadsTheSameDigest_AndPullGivesBackTheBytes()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var client = new RegistryClient(registry.ClientOptions());
        var image = TestImage.Create(1, 1000, 300_000);
        var reference = registry.Reference("team/app:1.2");

        var (digest, results) = await image.PushAsync(client, reference);

        Assert.Equal(image.Digest, digest);
        Assert.All(results, r => Assert.Equal(BlobPushResult.Uploaded, r));
        Assert.Equal(digest, Skopeo.InspectDigest(registry, reference.ToString()));
        Assert.Equal(Encoding.UTF8.GetString(image.Manifest), Skopeo.InspectRaw(registry, reference.ToString()));

        var pulled = await client.GetManifestAsync(reference, CancellationToken.None);
        Assert.Equal(MediaTypes.ImageManifest, pulled.MediaType);
        Assert.Equal(digest, pulled.Digest);
        Assert.Equal(image.Manifest, pulled.Bytes.ToArray());
        var content = ManifestContent.Parse(pulled, reference.ToString());
        Assert.Equal(image.Config.Descriptor.Digest, content.Config!.Value.Digest);
        Assert.Equal(image.Layers.Select(l => l.Descriptor.Digest), content.Layers.Select(l => l.Digest));
        Assert.Equal(digest, await client.HeadManifestAsync(reference, CancellationToken.None));
        Assert.Equal(digest, (await client.GetManifestAsync(reference.WithDigest(digest), CancellationToken.None)).Digest);

        using var dir = new TempDirectory();
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var path = dir.Combine($"layer{i}");
            await client.DownloadBlobAsync(reference, content.Layers[i], path, CancellationToken.None);
            Assert.Equal(NoiseStream.Bytes(100 + i, (int)content.Layers[i].Size), await File.ReadAllBytesAsync(path));
        }
        Assert.Equal(["layer0", "layer1"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task SecondPush_UploadsNothing()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var counting = new CountingHandler();
        var options = registry.ClientOptions() with { Handler = counting };
        using var client = new RegistryClient(options);
        var image = TestImage.Create(2, 5000, 70_000);
        var reference = registry.Reference("again:1");
        await image.PushAsync(client, reference);
        Assert.True(counting.Uploads > 0, "the first push uploads");
        var uploadsBefore = options.Counters.UploadRequests;
        var bytesBefore = options.Counters.BytesUploaded;
        counting.Clear();

        var (digest, results) = await image.PushAsync(client, reference);

        Assert.Equal(image.Digest, digest);
        Assert.All(results, r => Assert.Equal(BlobPushResult.Existed, r));
        Assert.Equal(0, counting.Uploads);
        Assert.Equal(uploadsBefore, options.Counters.UploadRequests);
        Assert.Equal(bytesBefore, options.Counters.BytesUploaded);
        // A HEAD per blob and the manifest PUT: nothing else.
        Assert.Equal(["HEAD", "HEAD", "HEAD", "PUT"], counting.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Push_MountsBlobsFromAnotherRepository()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var options = registry.ClientOptions();
        using var client = new RegistryClient(options);
        var image = TestImage.Create(3, 2000, 40_000);
        await image.PushAsync(client, registry.Reference("base:1"));
        var bytes = options.Counters.BytesUploaded;

        var target = registry.Reference("derived/app:1");
        var (digest, results) = await image.PushAsync(client, target, mountFrom: "base");

        Assert.All(results, r => Assert.Equal(BlobPushResult.Mounted, r));
        Assert.Equal(bytes, options.Counters.BytesUploaded);
        Assert.Equal(digest, Skopeo.InspectDigest(registry, target.ToString()));
    }

    [Fact]
    public async Task LargeBlob_IsChunkedAndStreamed_MemoryDoesNotGrowWithIt()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var proxy = new FaultProxy(registry.Address, (_, _, _) => FaultProxy.Fault.None);
        const long size = 40L << 20;
        const long chunk = 32L << 20;
        long read = 0, mostAhead = 0;
        var layer = NoiseStream.Blob(40, size, n =>
        {
            var ahead = Interlocked.Add(ref read, n) - proxy.ForwardedBytes;
            if (ahead > Interlocked.Read(ref mostAhead)) Interlocked.Exchange(ref mostAhead, ahead);
        });
        var image = TestImage.From(40, [layer]);
        var counting = new CountingHandler();
        using var client = new RegistryClient(registry.ClientOptions() with { Handler = counting, ChunkSize = chunk });
        var reference = RegistryReference.Parse($"{proxy.Address}/big:1");

        var (digest, _) = await image.PushAsync(client, reference);

        Assert.Equal(2, counting.Requests.Count(r => r.Method == "PATCH"));
        // Streamed: what was read from the blob was never more than the socket buffers ahead of what reached the
        // proxy. A client holding a chunk in memory before sending it would be a whole chunk ahead.
        Assert.True(mostAhead < chunk / 2, $"the client read {mostAhead} bytes ahead of what it sent");
        Assert.Equal(digest, Skopeo.InspectDigest(registry, $"{registry.Address}/big:1"));
        using var dir = new TempDirectory();
        await client.DownloadBlobAsync(reference, layer.Descriptor, dir.Combine("big"), CancellationToken.None);
        Assert.Equal(size, new FileInfo(dir.Combine("big")).Length);
    }

    [Fact]
    public async Task Download_OfBytesThatDoNotMatchTheDigest_ThrowsAndLeavesNoFile()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var client = new RegistryClient(registry.ClientOptions());
        var image = TestImage.Create(5, 10_000);
        var reference = registry.Reference("damaged:1");
        await image.PushAsync(client, reference);
        using var corrupting = new RegistryClient(registry.ClientOptions() with { Handler = new CorruptingHandler() });
        using var dir = new TempDirectory();

        var error = await Assert.ThrowsAsync<TinyImageException>(() =>
            corrupting.DownloadBlobAsync(reference, image.Layers[0].Descriptor, dir.Combine("layer"), CancellationToken.None));

        Assert.Contains("is not what its descriptor says", error.Message);
        Assert.Contains(registry.Address, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        // The same download without the corruption succeeds (the test's handler, not the registry, is at fault).
        await client.DownloadBlobAsync(reference, image.Layers[0].Descriptor, dir.Combine("layer"), CancellationToken.None);
        Assert.Equal(["layer"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task MissingManifest_IsOneLineNamingTheReference()
    {
        await using var registry = await LocalRegistry.StartAsync();
        using var client = new RegistryClient(registry.ClientOptions());
        var reference = registry.Reference("nothing/here:7");

        var error = await Assert.ThrowsAsync<TinyImageException>(() => client.GetManifestAsync(reference, CancellationToken.None));

        Assert.Equal($"registry {registry.Address} has no image {registry.Address}/nothing/here:7 (404 Not Found: MANIFEST_UNKNOWN: manifest unknown); check the name and tag, or push it first", error.Message);
        Assert.Null(await client.HeadManifestAsync(reference, CancellationToken.None));
    }

    [Fact]
    public async Task NoRegistryListening_IsOneLineAskingWhetherItRuns()
    {
        var port = LoopbackPort.Free();
        using var client = new RegistryClient(new RegistryOptions
        {
            Environment = _ => null,
            Retry = new RegistryRetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(1) },
        });

        var error = await Assert.ThrowsAsync<TinyImageException>(() =>
            client.PushBlobAsync(RegistryReference.Parse($"127.0.0.1:{port}/app:1"), RegistryBlob.FromBytes(MediaTypes.LayerGzip, new byte[3]), CancellationToken.None));

        Assert.StartsWith($"cannot connect to registry 127.0.0.1:{port} at http://127.0.0.1:{port} (app)", error.Message);
        Assert.EndsWith("connection refused, 2 tries; is the registry running?", error.Message);
    }

    /// <summary>Flips a byte of every blob the registry sends.</summary>
    private sealed class CorruptingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Get || !request.RequestUri!.AbsolutePath.Contains("/blobs/sha256:", StringComparison.Ordinal)) return response;
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            bytes[bytes.Length / 2] ^= 1;
            var headers = response.Content.Headers.ToList();
            response.Content = new ByteArrayContent(bytes);
            foreach (var (name, values) in headers) response.Content.Headers.TryAddWithoutValidation(name, values);
            return response;
        }
    }
}
