namespace TinyImage.Core.Registry;

/// <summary>What a <see cref="RegistryClient"/> did, counted (thread-safe): for tests and for a closing summary.</summary>
public sealed class RegistryCounters
{
    private long _requests;
    private long _uploadRequests;
    private long _bytesUploaded;
    private long _retries;
    private long _tokenRequests;

    /// <summary>Every HTTP request sent to a registry (token requests not included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests that start, carry or finish a blob upload (POST, PATCH, PUT under <c>blobs/uploads/</c>), mounts included.</summary>
    public long UploadRequests => Interlocked.Read(ref _uploadRequests);

    /// <summary>Blob bytes sent (again after a retry).</summary>
    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);

    /// <summary>Requests sent again after a 429, a 5xx or a dropped connection.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Requests to a token endpoint.</summary>
    public long TokenRequests => Interlocked.Read(ref _tokenRequests);

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void UploadRequest() => Interlocked.Increment(ref _uploadRequests);

    internal void Uploaded(long bytes) => Interlocked.Add(ref _bytesUploaded, bytes);

    internal void Retry() => Interlocked.Increment(ref _retries);

    internal void TokenRequest() => Interlocked.Increment(ref _tokenRequests);
}
