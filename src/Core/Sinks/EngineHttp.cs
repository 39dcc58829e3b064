using System.Net.Http;
using System.Net.Sockets;

namespace TinyImage.Core.Sinks;

/// <summary>
/// Plain HTTP/1.1 to a Docker engine's API (its unix socket, or tcp:// as plain HTTP), with System.Net.Http and
/// System.Text.Json only: the paths every <c>--load</c> takes (inspect, load, version) do not start Docker.DotNet and
/// its Newtonsoft.Json, which cost more than the rest of a small load.
/// </summary>
/// <remarks>
/// Paths are unversioned (<c>/images/load</c>): the engine serves its own API version. See
/// https://docs.docker.com/engine/api/latest/ (ImageLoad, ImageInspect, SystemVersion).
/// </remarks>
internal sealed class EngineHttp : IDisposable
{
    /// <summary>The most of an answer's body read into memory: the engine's JSON answers are a few kB.</summary>
    internal const int MaxAnswerBytes = 1 << 20;

    private readonly HttpClient _http;

    /// <param name="endpoint">unix:///path/to/socket, tcp://HOST:PORT or http://HOST:PORT.</param>
    public EngineHttp(Uri endpoint)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false };
        Uri baseAddress;
        if (endpoint.Scheme == "unix")
        {
            var socketPath = endpoint.LocalPath;
            handler.ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            baseAddress = new Uri("http://docker/");
        }
        else
        {
            baseAddress = new UriBuilder("http", endpoint.Host, endpoint.Port).Uri;
        }
        // Deadlines are per request (a load may take minutes, a question must not), so the client has none.
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>GETs <paramref name="path"/> (relative, e.g. <c>version</c>); the caller disposes the response.</summary>
    public Task<HttpResponseMessage> GetAsync(string path, CancellationToken cancellationToken) =>
        _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    /// <summary>POSTs <paramref name="content"/> to <paramref name="path"/>; returns once the answer's headers are in.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, HttpContent content, CancellationToken cancellationToken) =>
        _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    /// <summary>Reads an answer's body, at most <see cref="MaxAnswerBytes"/>; a longer one is an error.</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, string endpoint, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxAnswerBytes)
                    throw new TinyImageException($"the Docker engine at {endpoint} answered {(int)response.StatusCode} with more than {MaxAnswerBytes >> 20} MiB; is DOCKER_HOST a Docker engine?");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
    }

    public void Dispose() => _http.Dispose();
}
