namespace TinyImage.Tests.Registry;

/// <summary>An HTTP handler under the client that records each request's method and path, independently of the client's own counters.</summary>
public sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { UseCookies = false })
{
    private readonly List<(string Method, string Path)> _requests = [];

    public IReadOnlyList<(string Method, string Path)> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    /// <summary>Requests that start, carry or finish a blob upload.</summary>
    public int Uploads => Requests.Count(r => r.Path.Contains("/blobs/uploads/", StringComparison.Ordinal));

    public void Clear()
    {
        lock (_requests) _requests.Clear();
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (_requests) _requests.Add((request.Method.Method, request.RequestUri!.AbsolutePath));
        return base.SendAsync(request, cancellationToken);
    }
}
