using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TinyImage.Tests.Debian;

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 (a port the system picks) serving the files of a directory (a test mirror),
/// with hooks to replace what a path serves (tampered bytes, or 404) and a log of the paths asked for. One request per
/// connection. Written on TcpListener because HttpListener's managed implementation fails when several run at once.
/// </summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _root;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _disposed;

    public LoopbackServer(string root)
    {
        _root = Path.GetFullPath(root);
        _listener.Start();
        Uri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _loop = Task.Run(ServeAsync);
    }

    public Uri Uri { get; }

    /// <summary>Paths requested, in order (relative, without the leading '/').</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Bytes to serve instead of the file at a relative path; null serves 404.</summary>
    public ConcurrentDictionary<string, byte[]?> Overrides { get; } = new();

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && head.Length < 16384)
                {
                    if (await stream.ReadAsync(buffer, _stop.Token) == 0) return;
                    head.Append((char)buffer[0]);
                }
                var target = head.ToString().Split(' ')[1];
                var relative = Uri.UnescapeDataString(target.Split('?')[0].TrimStart('/'));
                Requests.Enqueue(relative);
                byte[]? body;
                if (Overrides.TryGetValue(relative, out var replaced)) body = replaced;
                else
                {
                    var path = Path.GetFullPath(Path.Combine(_root, relative));
                    body = path.StartsWith(_root + "/", StringComparison.Ordinal) && File.Exists(path) ? await File.ReadAllBytesAsync(path) : null;
                }
                var status = body is null ? "404 Not Found" : "200 OK";
                body ??= [];
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
                await stream.WriteAsync(body, _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or IndexOutOfRangeException)
            {
                // the client went away, or sent no request line
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
