using System.Net;
using System.Net.Http.Headers;
using System.Text;
using TinyImage.Core;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;

namespace TinyImage.Tests.Registry;

/// <summary>Issue 10: what a registry answers is bounded and checked, whatever it sends (a stand-in registry answers here).</summary>
public sealed class RegistryAnswerTests
{
    private static readonly RegistryReference App = RegistryReference.Parse("127.0.0.1:5000/app:1");

    [Fact]
    public async Task OversizedManifest_IsRefused_WithoutReadingItAll()
    {
        var served = new CountingContent(64L << 20);
        using var client = Client(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = served });

        var error = await Assert.ThrowsAsync<TinyImageException>(() => client.GetManifestAsync(App, CancellationToken.None));

        Assert.Equal("the manifest 127.0.0.1:5000/app:1 from registry 127.0.0.1:5000 is larger than 4 MiB, the most TinyImage reads of it; the registry sent something other than a manifest", error.Message);
        Assert.True(served.Sent < 5L << 20, $"{served.Sent} bytes read");
    }

    [Fact]
    public async Task ManifestPinnedByDigest_WithOtherBytes_IsRefused()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"schemaVersion":2}""");
        var pinned = App.WithDigest(Digest.Compute("other"u8));
        using var client = Client(_ => Json(bytes));

        var error = await Assert.ThrowsAsync<TinyImageException>(() => client.GetManifestAsync(pinned, CancellationToken.None));

        Assert.StartsWith($"registry 127.0.0.1:5000 answered {pinned} with content whose digest is {Digest.Compute(bytes)}", error.Message);
        Assert.Equal(MediaTypes.ImageManifest, (await client.GetManifestAsync(App, CancellationToken.None)).MediaType);
    }

    [Fact]
    public async Task ManifestPut_AnsweredWithAnotherDigest_IsRefused()
    {
        var wrong = Digest.Compute("x"u8);
        using var client = Client(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.Created);
            response.Headers.Add("Docker-Content-Digest", wrong.ToString());
            return response;
        });

        var error = await Assert.ThrowsAsync<TinyImageException>(() => client.PutManifestAsync(App, MediaTypes.ImageManifest, "{}"u8.ToArray(), CancellationToken.None));

        Assert.Equal($"registry 127.0.0.1:5000 says {wrong} after pushing the manifest of 127.0.0.1:5000/app:1 in app, but the content's digest is {Digest.Compute("{}"u8)}; the registry changed the content", error.Message);
    }

    [Fact]
    public async Task HugeErrorBody_GivesAShortOneLineMessage()
    {
        var body = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"" + new string('x', 1000) + "\\n" + new string('y', 200_000) + "\"}]}";
        using var client = Client(_ => new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent(body) });

        var error = await Assert.ThrowsAsync<TinyImageException>(() => client.GetManifestAsync(App, CancellationToken.None));

        Assert.Equal("registry 127.0.0.1:5000 answered 400 Bad Request while reading the manifest of 127.0.0.1:5000/app:1 in app; check the registry's log", error.Message);
    }

    [Fact]
    public async Task LongErrorMessage_IsShortenedAndPrintable()
    {
        var body = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"no\\u001b[31m" + new string('x', 1000) + "\"}]}";
        using var client = Client(_ => new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent(body) });

        var error = await Assert.ThrowsAsync<TinyImageException>(() => client.GetManifestAsync(App, CancellationToken.None));

        Assert.Contains("(403 Forbidden: DENIED: no\\x1b[31mxxx", error.Message);
        Assert.True(error.Message.Length < 500, error.Message);
    }

    private static RegistryClient Client(Func<HttpRequestMessage, HttpResponseMessage> answer) => new(new RegistryOptions
    {
        Environment = _ => null,
        Handler = new StubHandler(answer),
        Retry = new RegistryRetryPolicy { MaxAttempts = 1 },
    });

    private static HttpResponseMessage Json(byte[] bytes) => new(HttpStatusCode.OK)
    {
        Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue(MediaTypes.ImageManifest) } },
    };

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(answer(request));
    }

    /// <summary>A body of <paramref name="length"/> bytes of unknown length, made as it is read, counting what was read.</summary>
    private sealed class CountingContent(long length) : HttpContent
    {
        public long Sent { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[64 << 10];
            while (Sent < length)
            {
                await stream.WriteAsync(chunk);
                Sent += chunk.Length;
            }
        }

        protected override bool TryComputeLength(out long computed)
        {
            computed = 0;
            return false;
        }

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new NoiseStream(1, length, n => Sent += n));
    }
}
