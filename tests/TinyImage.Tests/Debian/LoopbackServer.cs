using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace TinyImage.Tests.Debian;

/// <summary>
/// A small HTTP server on 127.0.0.1 serving the files of a directory (a test mirror), with hooks to replace what a
/// path serves (tampered bytes) and a log of the paths asked for. Only loopback traffic.
/// </summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _root;
    private readonly Task _loop;

    public LoopbackServer(string root)
    {
        _root = root;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Uri = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Uri.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Uri { get; }

    /// <summary>Paths requested, in order (relative, without the leading '/').</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Bytes to serve instead of the file at a relative path; null serves 404.</summary>
    public ConcurrentDictionary<string, byte[]?> Overrides { get; } = new();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => Answer(context));
        }
    }

    private void Answer(HttpListenerContext context)
    {
        using var response = context.Response;
        try
        {
            var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/'));
            Requests.Enqueue(relative);
            byte[]? body;
            if (Overrides.TryGetValue(relative, out var replaced)) body = replaced;
            else
            {
                var path = Path.GetFullPath(Path.Combine(_root, relative));
                body = path.StartsWith(_root, StringComparison.Ordinal) && File.Exists(path) ? File.ReadAllBytes(path) : null;
            }
            if (body is null)
            {
                response.StatusCode = 404;
                return;
            }
            response.ContentLength64 = body.Length;
            response.OutputStream.Write(body);
        }
        catch (Exception e) when (e is HttpListenerException or IOException)
        {
            // the client went away
        }
    }

    public void Dispose()
    {
        if (!_listener.IsListening) return;
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
