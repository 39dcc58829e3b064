using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace TinyImage.Core.Sinks;

/// <summary>
/// Plain HTTP/1.1 requests to a Docker engine's API, on its unix socket or tcp:// (plain HTTP), one connection per
/// request. Written on a socket rather than with HttpClient: with System.Net.Http's client (its connection pool,
/// headers, telemetry) the engine question of a skipped <c>--load</c> cost ~60 ms of CPU, on the socket ~20 ms, on a
/// process whose whole build of bash+ls takes ~260 ms; Docker.DotNet cost more again (bench/README.md).
/// </summary>
/// <remarks>
/// Paths are unversioned (<c>/images/load</c>): the engine serves its own API version. See
/// https://docs.docker.com/engine/api/latest/ (ImageLoad, ImageInspect, SystemVersion). Answers are read with a bound
/// (<see cref="MaxAnswerBytes"/>), with Content-Length, chunked, or up to the end of the connection.
/// </remarks>
internal sealed class EngineHttp
{
    /// <summary>The most of an answer's body read into memory: the engine's JSON answers are a few kB.</summary>
    internal const int MaxAnswerBytes = 1 << 20;

    private const int MaxHeadBytes = 64 * 1024;

    private readonly Uri _endpoint;

    /// <param name="endpoint">unix:///path/to/socket, tcp://HOST:PORT or http://HOST:PORT.</param>
    public EngineHttp(Uri endpoint)
    {
        _endpoint = endpoint;
    }

    /// <summary>
    /// Sends <paramref name="method"/> <paramref name="path"/> (e.g. <c>/version</c>) with <paramref name="body"/>, when
    /// given, as <paramref name="contentType"/>, and returns the status and the body of the answer.
    /// </summary>
    /// <exception cref="SocketException">The engine cannot be reached.</exception>
    /// <exception cref="IOException">The connection broke, or the answer is not HTTP or is too long.</exception>
    public Task<(int Status, byte[] Body)> SendAsync(string method, string path, Stream? body, string? contentType, CancellationToken cancellationToken) =>
        SendAsync(method, path, body is null ? null : (body.Length - body.Position, (destination, token) => body.CopyToAsync(destination, 256 * 1024, token)), contentType, cancellationToken);

    /// <summary>
    /// Sends a request whose body <paramref name="writeBody"/> writes as it makes it, in HTTP/1.1 chunks (the length is
    /// not known beforehand); see <see cref="SendAsync(string, string, Stream?, string?, CancellationToken)"/>.
    /// </summary>
    public Task<(int Status, byte[] Body)> SendChunkedAsync(string method, string path, Func<Stream, CancellationToken, Task> writeBody, string contentType, CancellationToken cancellationToken) =>
        SendAsync(method, path, (null, writeBody), contentType, cancellationToken);

    private async Task<(int Status, byte[] Body)> SendAsync(string method, string path, (long? Length, Func<Stream, CancellationToken, Task> Write)? body, string? contentType, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var socket = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var stream = new NetworkStream(socket, ownsSocket: false);
        await using (stream.ConfigureAwait(false))
        {
            var head = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"{method} {path} HTTP/1.1\r\nHost: {(_endpoint.Scheme == "unix" ? "docker" : _endpoint.Authority)}\r\n")
                .Append("User-Agent: tinyrun\r\nAccept: application/json\r\nConnection: close\r\n");
            if (body is { } sent)
                head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n")
                    .Append(sent.Length is { } length ? $"Content-Length: {length}\r\n" : "Transfer-Encoding: chunked\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), cancellationToken).ConfigureAwait(false);
            IOException? sendFailure = null;
            if (body is { } content)
            {
                try
                {
                    if (content.Length is not null) await content.Write(stream, cancellationToken).ConfigureAwait(false);
                    else
                    {
                        var chunks = new ChunkedStream(stream);
                        await using (chunks.ConfigureAwait(false))
                        {
                            var buffered = new BufferedStream(chunks, 256 * 1024);
                            await using (buffered.ConfigureAwait(false))
                            {
                                await content.Write(buffered, cancellationToken).ConfigureAwait(false);
                                await buffered.FlushAsync(cancellationToken).ConfigureAwait(false);
                            }
                            await chunks.CompleteAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
                catch (IOException e) when (e.InnerException is SocketException)
                {
                    // The engine stopped reading, e.g. it refused the archive early: its answer may say why.
                    sendFailure = e;
                }
            }
            try
            {
                return await ReadAnswerAsync(new BufferedStream(stream, 16 * 1024), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException) when (sendFailure is not null)
            {
                throw sendFailure;
            }
        }
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        Socket socket;
        System.Net.EndPoint endPoint;
        if (_endpoint.Scheme == "unix")
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            endPoint = new UnixDomainSocketEndPoint(_endpoint.LocalPath);
        }
        else
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            endPoint = new System.Net.DnsEndPoint(_endpoint.Host, _endpoint.Port);
        }
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole HTTP/1.1 answer: the status line, the headers, then the body as they say.</summary>
    internal static async Task<(int Status, byte[] Body)> ReadAnswerAsync(Stream stream, CancellationToken cancellationToken)
    {
        var statusLine = await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false);
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            throw new IOException($"the answer is not HTTP/1.x ('{(statusLine.Length > 60 ? statusLine[..60] : statusLine)}')");
        long? length = null;
        var chunked = false;
        var headBytes = statusLine.Length;
        while (await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false) is { Length: > 0 } header)
        {
            if ((headBytes += header.Length) > MaxHeadBytes) throw new IOException($"the answer's headers exceed {MaxHeadBytes >> 10} KiB");
            var colon = header.IndexOf(':');
            if (colon <= 0) continue;
            var name = header[..colon].Trim();
            var value = header[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                length = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new IOException($"the answer's Content-Length '{value}' is not a number");
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        }
        if (status is 204 or 304) return (status, []);
        var body = new MemoryStream();
        if (chunked)
        {
            while (true)
            {
                var sizeLine = (await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false)).Split(';')[0].Trim();
                if (!long.TryParse(sizeLine, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                    throw new IOException($"the answer's chunk size '{sizeLine}' is not a hexadecimal number");
                if (size == 0) break;
                await CopyAsync(stream, body, size, cancellationToken).ConfigureAwait(false);
                await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false); // the CRLF after the chunk
            }
        }
        else if (length is { } contentLength)
        {
            await CopyAsync(stream, body, contentLength, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await CopyAsync(stream, body, limit: null, cancellationToken).ConfigureAwait(false);
        }
        return (status, body.ToArray());
    }

    /// <summary>Copies <paramref name="limit"/> bytes (null: up to the end) into <paramref name="body"/>, at most <see cref="MaxAnswerBytes"/> in all.</summary>
    private static async Task CopyAsync(Stream stream, MemoryStream body, long? limit, CancellationToken cancellationToken)
    {
        if (body.Length + (limit ?? 0) > MaxAnswerBytes) throw new IOException($"the answer exceeds {MaxAnswerBytes >> 20} MiB");
        var buffer = new byte[16 * 1024];
        for (var left = limit ?? long.MaxValue; left > 0;)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (limit is null) return;
                throw new IOException("the connection ended in the middle of the answer");
            }
            if (body.Length + read > MaxAnswerBytes) throw new IOException($"the answer exceeds {MaxAnswerBytes >> 20} MiB");
            body.Write(buffer, 0, read);
            left -= read;
        }
    }

    /// <summary>One line of ASCII, without its CRLF (or LF); at most <see cref="MaxHeadBytes"/>.</summary>
    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
                throw new IOException("the connection ended before the answer did");
            if (one[0] == '\n') return line.ToString().TrimEnd('\r');
            if (line.Length >= MaxHeadBytes) throw new IOException($"a line of the answer exceeds {MaxHeadBytes >> 10} KiB");
            line.Append((char)one[0]);
        }
    }
}
