using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TinyImage.Tests.Registry;

/// <summary>
/// An HTTP/1.1 proxy on 127.0.0.1 in front of a <see cref="LocalRegistry"/> that answers some requests itself (a 500, a
/// 429 asking to wait an hour) or drops their connection before reading their body, as <see cref="FaultFor"/> decides
/// per request, and forwards the rest byte for byte. The client's Host goes through unchanged, so the registry's upload
/// locations point back through the proxy.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private const int MaxHead = 64 << 10;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly Task _serving;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly CancellationTokenSource _stop = new();
    private int _requests;
    private int _faults;
    private long _forwardedBytes;

    /// <summary>What the proxy does with a request.</summary>
    public enum Fault { None, Status500, Status429, Drop }

    public FaultProxy(string target, Func<int, string, string, Fault> faultFor)
    {
        var colon = target.LastIndexOf(':');
        _target = new IPEndPoint(IPAddress.Parse(target[..colon]), int.Parse(target[(colon + 1)..], CultureInfo.InvariantCulture));
        FaultFor = faultFor;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>Decides from the request's number (from 1), method and path.</summary>
    public Func<int, string, string, Fault> FaultFor { get; }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Requests answered with a fault.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>Request body bytes forwarded to the registry so far.</summary>
    public long ForwardedBytes => Interlocked.Read(ref _forwardedBytes);

    /// <summary>One line per request and answer (for failure messages).</summary>
    public string Log => string.Join("\n", _log);

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ConnectionAsync(client));
        }
    }

    private async Task ConnectionAsync(TcpClient client)
    {
        TcpClient? upstream = null;
        try
        {
            using (client)
            {
                var downstream = new HttpStream(client.GetStream());
                HttpStream? registry = null;
                while (await downstream.ReadHeadAsync() is { } head)
                {
                    var (method, path) = RequestLine(head);
                    var number = Interlocked.Increment(ref _requests);
                    var fault = FaultFor(number, method, path);
                    _log.Enqueue($"{number} {method} {path} {fault}");
                    if (fault != Fault.None)
                    {
                        Interlocked.Increment(ref _faults);
                        if (fault == Fault.Status500) await downstream.WriteAsync("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        if (fault == Fault.Status429) await downstream.WriteAsync("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3600\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        client.Client.LingerState = new LingerOption(true, 0); // a reset, as a dropped connection
                        return;
                    }
                    if (registry is null)
                    {
                        upstream = new TcpClient();
                        await upstream.ConnectAsync(_target);
                        registry = new HttpStream(upstream.GetStream());
                    }
                    await registry.WriteAsync(head);
                    await downstream.CopyBodyAsync(head, registry.Stream, n => Interlocked.Add(ref _forwardedBytes, n));
                    var answer = await registry.ReadHeadAsync() ?? throw new IOException("the registry closed the connection");
                    _log.Enqueue($"  -> {answer[..answer.IndexOf('\r')]}");
                    await downstream.WriteAsync(answer);
                    var status = int.Parse(answer.Split(' ')[1], CultureInfo.InvariantCulture);
                    if (method != "HEAD" && status is not (204 or 304) && status >= 200)
                        await registry.CopyBodyAsync(answer, downstream.Stream, null);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or FormatException)
        {
            // A client or registry that went away: the connection ends.
        }
        finally
        {
            upstream?.Dispose();
        }
    }

    private static (string Method, string Path) RequestLine(string head)
    {
        var parts = head[..head.IndexOf('\r')].Split(' ');
        var path = parts.Length > 1 ? parts[1] : "";
        var query = path.IndexOf('?');
        return (parts[0], query >= 0 ? path[..query] : path);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }

    /// <summary>One side of a connection: heads read up to the blank line, bodies copied by Content-Length or chunks.</summary>
    private sealed class HttpStream(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[64 << 10];
        private int _start;
        private int _end;

        public NetworkStream Stream => stream;

        public Task WriteAsync(string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

        /// <summary>The head (start line and headers, ending with the blank line), or null at the end of the connection.</summary>
        public async Task<string?> ReadHeadAsync()
        {
            var head = new StringBuilder();
            while (true)
            {
                var line = await ReadLineAsync();
                if (line is null) return head.Length == 0 ? null : throw new IOException("the connection ended inside a head");
                head.Append(line).Append("\r\n");
                if (line.Length == 0) return head.ToString();
                if (head.Length > MaxHead) throw new IOException("head too large");
            }
        }

        /// <summary>Copies the body that <paramref name="head"/> announces (Content-Length or chunked) to <paramref name="target"/>.</summary>
        public async Task CopyBodyAsync(string head, Stream target, Action<int>? counted)
        {
            var lines = head.Split("\r\n");
            var length = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(p => long.Parse(p[1].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault(-1);
            if (length >= 0)
            {
                await CopyAsync(target, length, counted);
                return;
            }
            if (!lines.Any(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && l.Contains("chunked", StringComparison.OrdinalIgnoreCase))) return;
            while (true)
            {
                var sizeLine = await ReadLineAsync() ?? throw new IOException("the connection ended inside chunks");
                await target.WriteAsync(Encoding.ASCII.GetBytes(sizeLine + "\r\n"));
                var size = long.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    string? trailer;
                    do
                    {
                        trailer = await ReadLineAsync() ?? throw new IOException("the connection ended inside a trailer");
                        await target.WriteAsync(Encoding.ASCII.GetBytes(trailer + "\r\n"));
                    } while (trailer.Length > 0);
                    return;
                }
                await CopyAsync(target, size, counted);
                var end = await ReadLineAsync();
                await target.WriteAsync("\r\n"u8.ToArray());
                if (end != "") throw new IOException("a chunk without its CRLF");
            }
        }

        private async Task CopyAsync(Stream target, long count, Action<int>? counted)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync()) throw new IOException("the connection ended inside a body");
                var n = (int)Math.Min(count, _end - _start);
                await target.WriteAsync(_buffer.AsMemory(_start, n));
                counted?.Invoke(n);
                _start += n;
                count -= n;
            }
        }

        private async Task<string?> ReadLineAsync()
        {
            var line = new StringBuilder();
            while (true)
            {
                if (_start == _end && !await FillAsync()) return line.Length == 0 ? null : line.ToString();
                var b = _buffer[_start++];
                if (b == '\n') return line.ToString().TrimEnd('\r');
                line.Append((char)b);
                if (line.Length > MaxHead) throw new IOException("line too long");
            }
        }

        private async Task<bool> FillAsync()
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer);
            return _end > 0;
        }
    }
}
