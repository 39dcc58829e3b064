using System.Net;

namespace TinyImage.Tests.Registry;

/// <summary>
/// An HTTP proxy on 127.0.0.1 in front of a <see cref="LocalRegistry"/> that answers some requests itself with a 500 or
/// drops their connection (before reading their body), as <see cref="FaultFor"/> decides per request, and forwards the
/// rest. It keeps the client's Host, so the registry's upload locations point back through the proxy.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
    private readonly string _target;
    private readonly Task _serving;
    private int _requests;
    private long _forwardedBytes;
    private int _faults;

    public FaultProxy(string target, Func<int, string, string, Fault> faultFor)
    {
        (_target, FaultFor) = (target, faultFor);
        for (var tries = 0; ; tries++)
        {
            Port = LoopbackPort.Free();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (tries < 5)
            {
            }
        }
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>What the proxy does with a request.</summary>
    public enum Fault { None, Status500, Status429, Drop }

    /// <summary>Decides from the request's number (from 1), method and path.</summary>
    public Func<int, string, string, Fault> FaultFor { get; }

    public int Port { get; private set; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Requests answered with a fault.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>Request body bytes forwarded to the registry so far.</summary>
    public long ForwardedBytes => Interlocked.Read(ref _forwardedBytes);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var number = Interlocked.Increment(ref _requests);
            var request = context.Request;
            switch (FaultFor(number, request.HttpMethod, request.Url!.AbsolutePath))
            {
                case Fault.Status500:
                    Interlocked.Increment(ref _faults);
                    context.Response.StatusCode = 500;
                    context.Response.KeepAlive = false;
                    context.Response.ContentLength64 = 0;
                    context.Response.Close();
                    return;
                case Fault.Status429:
                    Interlocked.Increment(ref _faults);
                    context.Response.StatusCode = 429;
                    context.Response.AppendHeader("Retry-After", "3600");
                    context.Response.ContentLength64 = 0;
                    context.Response.Close();
                    return;
                case Fault.Drop:
                    Interlocked.Increment(ref _faults);
                    context.Response.Abort();
                    return;
            }
            await ForwardAsync(context);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
        {
            context.Response.Abort();
        }
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var forwarded = new HttpRequestMessage(new HttpMethod(request.HttpMethod), $"http://{_target}{request.RawUrl}");
        if (request.HasEntityBody)
            forwarded.Content = new StreamContent(new CountingStream(request.InputStream, n => Interlocked.Add(ref _forwardedBytes, n)));
        foreach (var name in request.Headers.AllKeys)
        {
            if (name is null || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
            var values = request.Headers.GetValues(name) ?? [];
            if (!forwarded.Headers.TryAddWithoutValidation(name, values)) forwarded.Content?.Headers.TryAddWithoutValidation(name, values);
        }
        if (forwarded.Content is not null && request.ContentLength64 >= 0) forwarded.Content.Headers.ContentLength = request.ContentLength64;
        using var answer = await _upstream.SendAsync(forwarded, HttpCompletionOption.ResponseHeadersRead);
        var response = context.Response;
        response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (name is "Content-Length" or "Transfer-Encoding" or "Connection" or "Keep-Alive") continue;
            if (name == "Content-Type") { response.ContentType = values.First(); continue; }
            foreach (var value in values)
            {
                try
                {
                    response.AppendHeader(name, value);
                }
                catch (ArgumentException)
                {
                    // A header HttpListener sets itself.
                }
            }
        }
        if (request.HttpMethod == "HEAD" || answer.Content.Headers.ContentLength is not { } length)
        {
            response.ContentLength64 = 0;
            if (request.HttpMethod != "HEAD")
            {
                // An answer of unknown length (rare for the registry): buffer it.
                var body = await answer.Content.ReadAsByteArrayAsync();
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body);
            }
        }
        else
        {
            response.ContentLength64 = length;
            await answer.Content.CopyToAsync(response.OutputStream);
        }
        response.Close();
    }

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
        _upstream.Dispose();
    }

    /// <summary>A read-only stream that reports each read's byte count.</summary>
    private sealed class CountingStream(Stream inner, Action<int> counted) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { var n = inner.Read(buffer, offset, count); counted(n); return n; }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            counted(n);
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
