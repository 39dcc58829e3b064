using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Registry;

/// <summary>
/// Pushes and pulls blobs and manifests following the OCI distribution spec
/// (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md): HEAD before every upload, cross-repository
/// mounts, one PUT for small blobs and streamed PATCH chunks for large ones, resumed from the registry's
/// <c>Range</c> after a dropped connection. Requests are retried with backoff on 429, 5xx and dropped connections;
/// every other failure is one <see cref="TinyImageException"/> naming the registry, the repository and what to do.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>The largest manifest or index read (registries must accept at least 4 MiB).</summary>
    public const int MaxManifestSize = 4 << 20;

    private readonly RegistryOptions _options;
    private readonly HttpClient _http;
    private readonly RegistryAuthenticator _auth;

    public RegistryClient(RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChunkSize <= 0 || options.MonolithicLimit < 0 || options.Retry.MaxAttempts < 1)
            throw new ArgumentException("ChunkSize and Retry.MaxAttempts must be positive, MonolithicLimit not negative", nameof(options));
        _options = options;
        // No cookies (Harbor), no decompression (blob bytes are checked as served); redirects drop Authorization.
        var handler = options.Handler ?? new SocketsHttpHandler
        {
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        _http = new HttpClient(handler, disposeHandler: options.Handler is null) { Timeout = options.RequestTimeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("tinyimage/0.1");
        _auth = new RegistryAuthenticator(options, (create, what, cancellationToken) =>
            SendRawAsync(create, null, what, cancellationToken));
    }

    /// <summary>Whether <paramref name="repository"/> holds the blob <paramref name="digest"/> (a HEAD).</summary>
    public async Task<bool> BlobExistsAsync(RegistryReference repository, Digest digest, CancellationToken cancellationToken)
    {
        var call = Call(repository, HttpMethod.Head, $"blobs/{digest}", Pull(repository), $"checking for blob {digest}");
        using var response = await SendAsync(call, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (response.IsSuccessStatusCode) return true;
        throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes <paramref name="repository"/> hold <paramref name="blob"/>: nothing when it does, a cross-repository mount
    /// from <paramref name="mountFrom"/> (another repository of the same registry) when given and possible, else an upload.
    /// </summary>
    public async Task<BlobPushResult> PushBlobAsync(RegistryReference repository, RegistryBlob blob, CancellationToken cancellationToken, string? mountFrom = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(blob);
        var digest = blob.Descriptor.Digest;
        if (await BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false))
        {
            Log($"{repository.Name}: blob {Short(digest)} is there already");
            return BlobPushResult.Existed;
        }
        var source = MountSource(repository, mountFrom);
        var location = await StartUploadAsync(repository, digest, source, cancellationToken).ConfigureAwait(false);
        if (location is null)
        {
            Log($"{repository.Name}: blob {Short(digest)} mounted from {source}");
            return BlobPushResult.Mounted;
        }
        for (var failures = 1; ; failures++)
        {
            try
            {
                if (blob.Descriptor.Size <= _options.MonolithicLimit)
                    await PutWholeAsync(repository, blob, location, cancellationToken).ConfigureAwait(false);
                else
                    await PatchChunksAsync(repository, blob, location, cancellationToken).ConfigureAwait(false);
                Log($"{repository.Name}: blob {Short(digest)} uploaded ({blob.Descriptor.Size} bytes)");
                return BlobPushResult.Uploaded;
            }
            catch (UploadLostException e)
            {
                if (failures >= _options.Retry.MaxAttempts)
                    throw new TinyImageException($"registry {repository.Registry} lost the upload of blob {digest} to {repository.Repository} {failures} times (last: {e.Message}); check the registry's log and storage, then push again");
                await WaitAsync(repository, failures, null, $"{e.Message}; uploading blob {Short(digest)} again", cancellationToken).ConfigureAwait(false);
                location = await StartUploadAsync(repository, digest, null, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("an upload without a mount source was mounted");
            }
        }
    }

    /// <summary>Stores <paramref name="manifest"/> under <paramref name="reference"/>'s tag (or its digest when it has no tag); returns its digest.</summary>
    public async Task<Digest> PutManifestAsync(RegistryReference reference, string mediaType, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        var digest = Digest.Compute(manifest.Span);
        if (reference.Digest is { } pinned && pinned != digest)
            throw new ArgumentException($"the manifest's digest {digest} is not the reference's {pinned}", nameof(reference));
        var bytes = manifest.ToArray();
        var call = Call(reference, HttpMethod.Put, $"manifests/{reference.Tag ?? digest.ToString()}", Push(reference), $"pushing the manifest of {reference}") with
        {
            Content = () => new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } },
        };
        using var response = await SendAsync(call, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
        CheckDigestHeader(response, digest, call);
        Log($"{reference.Name}: manifest {digest} stored as {reference.Tag ?? digest.ToString()}");
        return digest;
    }

    /// <summary>The manifest or index <paramref name="reference"/> names (at most <see cref="MaxManifestSize"/>), checked against its digest when it pins one.</summary>
    public async Task<RegistryManifest> GetManifestAsync(RegistryReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var call = ManifestCall(reference, HttpMethod.Get);
        using var response = await SendAsync(call, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
        var bytes = await RegistryAddress.ReadBoundedAsync(response.Content, MaxManifestSize, cancellationToken, $"the manifest {reference} from registry {reference.Registry}").ConfigureAwait(false);
        var digest = Digest.Compute(bytes);
        if (reference.Digest is { } pinned && pinned != digest)
            throw new TinyImageException($"registry {reference.Registry} answered {reference} with content whose digest is {digest}; the registry's copy is damaged or the registry is not trustworthy");
        CheckDigestHeader(response, digest, call);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null or "application/json" or "application/octet-stream" or "text/plain")
            mediaType = MediaTypeInside(bytes) ?? throw new TinyImageException($"registry {reference.Registry} answered {reference} without a media type, in a document that names none; it is not a manifest");
        return new RegistryManifest(mediaType, bytes, digest);
    }

    /// <summary>The digest of the manifest <paramref name="reference"/> names, or null when the registry has none (a HEAD; a GET when the registry does not say).</summary>
    public async Task<Digest?> HeadManifestAsync(RegistryReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var call = ManifestCall(reference, HttpMethod.Head);
        using (var response = await SendAsync(call, cancellationToken).ConfigureAwait(false))
        {
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (!response.IsSuccessStatusCode) throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
            if (DigestHeader(response) is { } digest) return digest;
        }
        return (await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false)).Digest;
    }

    /// <summary>Whether the registry has the manifest <paramref name="reference"/> names.</summary>
    public async Task<bool> ManifestExistsAsync(RegistryReference reference, CancellationToken cancellationToken) =>
        await HeadManifestAsync(reference, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// Downloads <paramref name="blob"/> from <paramref name="repository"/> into <paramref name="destinationPath"/>: streamed to a
    /// temporary file beside it, checked against the descriptor's size and digest, then renamed into place. A mismatch
    /// deletes the temporary file and throws.
    /// </summary>
    public async Task DownloadBlobAsync(RegistryReference repository, Descriptor blob, string destinationPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(destinationPath))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(destinationPath)}.{Guid.NewGuid():N}.tmp");
        var call = Call(repository, HttpMethod.Get, $"blobs/{blob.Digest}", Pull(repository), $"downloading blob {blob.Digest}");
        Directory.CreateDirectory(directory);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                using var response = await SendAsync(call, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
                if (response.Content.Headers.ContentLength is { } length && length != blob.Size)
                    throw Mismatch(repository, blob, $"{length} bytes");
                try
                {
                    var (size, digest) = await CopyHashedAsync(response.Content, temp, blob.Size, cancellationToken).ConfigureAwait(false);
                    if (size != blob.Size || digest != blob.Digest) throw Mismatch(repository, blob, size > blob.Size ? $"more than {blob.Size} bytes" : $"{size} bytes with digest {digest}");
                    File.Move(temp, destinationPath, overwrite: true);
                    Log($"{repository.Name}: blob {Short(blob.Digest)} downloaded ({size} bytes)");
                    return;
                }
                catch (Exception e) when (IsDropped(e, cancellationToken) && attempt < _options.Retry.MaxAttempts)
                {
                    await WaitAsync(repository, attempt, null, $"the download of blob {Short(blob.Digest)} dropped ({e.Message})", cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (IsDropped(e, cancellationToken))
                {
                    throw new TinyImageException($"the download of blob {blob.Digest} from registry {repository.Registry} ({repository.Repository}) dropped {attempt} times ({e.Message}); check the network and try again", e);
                }
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public void Dispose() => _http.Dispose();

    // ---- uploads ----

    /// <summary>Starts an upload session (a POST, with a mount request when <paramref name="mountFrom"/> is set): its location, or null when the blob was mounted.</summary>
    private async Task<Uri?> StartUploadAsync(RegistryReference repository, Digest digest, string? mountFrom, CancellationToken cancellationToken)
    {
        var query = mountFrom is null ? "" : $"?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(mountFrom)}";
        var scopes = Push(repository) + (mountFrom is null ? "" : $" repository:{mountFrom}:pull");
        var call = Call(repository, HttpMethod.Post, "blobs/uploads/" + query, scopes, $"starting the upload of blob {digest}") with { Upload = true };
        using var response = await SendAsync(call, cancellationToken).ConfigureAwait(false);
        if (mountFrom is not null && response.StatusCode == HttpStatusCode.Created) return null;
        if (response.StatusCode != HttpStatusCode.Accepted) throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
        return Location(response, call);
    }

    private async Task PutWholeAsync(RegistryReference repository, RegistryBlob blob, Uri location, CancellationToken cancellationToken)
    {
        var call = new RegistryCall(repository, HttpMethod.Put, WithDigest(location, blob.Descriptor.Digest), Push(repository), $"uploading blob {blob.Descriptor.Digest}")
        {
            Upload = true,
            Content = () => OctetStream(new BlobSliceContent(blob, 0, blob.Descriptor.Size, _options.Counters)),
        };
        await FinishAsync(call, blob.Descriptor.Digest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the blob in PATCH chunks; after a drop or a 5xx, asks the registry how much it holds and goes on from there.</summary>
    private async Task PatchChunksAsync(RegistryReference repository, RegistryBlob blob, Uri location, CancellationToken cancellationToken)
    {
        var size = blob.Descriptor.Size;
        var offset = 0L;
        var stalled = 0;
        while (offset < size)
        {
            var (start, length) = (offset, Math.Min(_options.ChunkSize, size - offset));
            var call = new RegistryCall(repository, HttpMethod.Patch, location, Push(repository), $"uploading bytes {start}-{start + length - 1} of blob {blob.Descriptor.Digest}")
            {
                Upload = true,
                Content = () =>
                {
                    var content = OctetStream(new BlobSliceContent(blob, start, length, _options.Counters));
                    content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                    return content;
                },
            };
            string problem;
            TimeSpan? retryAfter = null;
            try
            {
                using var response = await SendOnceAsync(call, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Created or HttpStatusCode.NoContent)
                {
                    location = Location(response, call, location);
                    offset = RangeEnd(response) ?? start + length;
                    if (offset > start) stalled = 0;
                    Log($"{repository.Name}: blob {Short(blob.Descriptor.Digest)}: {offset} of {size} bytes sent");
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.NotFound) throw new UploadLostException("the registry no longer knows the upload session (404)");
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) throw new UploadLostException($"the registry refused bytes from {start} (416)");
                if (!IsTransient(response.StatusCode)) throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
                problem = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                retryAfter = RetryAfter(response);
            }
            catch (TinyImageException e) when (e.InnerException is { } inner && IsDropped(inner, cancellationToken))
            {
                problem = $"the connection dropped ({inner.Message})";
            }
            if (++stalled >= _options.Retry.MaxAttempts)
                throw new TinyImageException($"registry {repository.Registry} failed {stalled} times in a row to take blob {blob.Descriptor.Digest} for {repository.Repository} at byte {offset} (last: {problem}); try again later");
            await WaitAsync(repository, stalled, retryAfter, $"{problem} while {call.What}", cancellationToken).ConfigureAwait(false);
            (location, offset) = await UploadStatusAsync(repository, location, cancellationToken).ConfigureAwait(false);
            Log($"{repository.Name}: blob {Short(blob.Descriptor.Digest)}: resuming at byte {offset}, where the registry stopped");
        }
        var finish = new RegistryCall(repository, HttpMethod.Put, WithDigest(location, blob.Descriptor.Digest), Push(repository), $"finishing the upload of blob {blob.Descriptor.Digest}")
        {
            Upload = true,
            Content = () => OctetStream(new ByteArrayContent([])),
        };
        await FinishAsync(finish, blob.Descriptor.Digest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The PUT that closes an upload. When its answer is lost, the blob may be stored anyway: a HEAD decides.</summary>
    private async Task FinishAsync(RegistryCall call, Digest digest, CancellationToken cancellationToken)
    {
        string problem;
        try
        {
            using var response = await SendOnceAsync(call, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                CheckDigestHeader(response, digest, call);
                return;
            }
            if (response.StatusCode != HttpStatusCode.NotFound && !IsTransient(response.StatusCode))
                throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
            problem = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (TinyImageException e) when (e.InnerException is { } inner && IsDropped(inner, cancellationToken))
        {
            problem = $"the connection dropped ({inner.Message})";
        }
        if (!await BlobExistsAsync(call.Repository, digest, cancellationToken).ConfigureAwait(false))
            throw new UploadLostException($"{problem} while {call.What}");
    }

    /// <summary>Where an upload stands (a GET of its location): the location to go on with and the next byte the registry wants.</summary>
    private async Task<(Uri Location, long Offset)> UploadStatusAsync(RegistryReference repository, Uri location, CancellationToken cancellationToken)
    {
        var call = new RegistryCall(repository, HttpMethod.Get, location, Push(repository), "asking where the upload stands");
        using var response = await SendAsync(call, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            throw new UploadLostException($"the registry no longer knows the upload session ({(int)response.StatusCode})");
        if (response.StatusCode != HttpStatusCode.NoContent && !response.IsSuccessStatusCode)
            throw await FailAsync(call, response, cancellationToken).ConfigureAwait(false);
        return (Location(response, call, location), RangeEnd(response) ?? 0);
    }

    // ---- requests ----

    private RegistryCall Call(RegistryReference repository, HttpMethod method, string path, string scopes, string what) =>
        new(repository, method, new Uri(RegistryAddress.Base(repository, _options), $"{repository.Repository}/{path}"), scopes, what);

    private RegistryCall ManifestCall(RegistryReference reference, HttpMethod method) =>
        Call(reference, method, $"manifests/{reference.ManifestReference}", Pull(reference), $"reading the manifest of {reference}") with
        {
            Accept = RegistryMediaTypes.Accepted,
            IsManifest = true,
        };

    /// <summary>Sends <paramref name="call"/>, retrying after 429, 5xx and dropped connections; the answer may still be any status.</summary>
    private Task<HttpResponseMessage> SendAsync(RegistryCall call, CancellationToken cancellationToken) =>
        SendAuthorizedAsync(call, _options.Retry.MaxAttempts, cancellationToken);

    /// <summary>Sends <paramref name="call"/> once (a 401 renews the authorization and sends it again); a dropped connection throws.</summary>
    private Task<HttpResponseMessage> SendOnceAsync(RegistryCall call, CancellationToken cancellationToken) =>
        SendAuthorizedAsync(call, 1, cancellationToken);

    private async Task<HttpResponseMessage> SendAuthorizedAsync(RegistryCall call, int attempts, CancellationToken cancellationToken)
    {
        var registry = call.Repository.Registry;
        for (var renewed = false; ; renewed = true)
        {
            // Credentials go to the registry's own host only, never to a host an upload location points at.
            var authorization = call.Uri.Authority == call.Repository.ApiHost || call.Uri.Authority == RegistryAddress.Base(call.Repository, _options).Authority
                ? await _auth.HeaderAsync(registry, call.Repository.Repository, call.Scopes, cancellationToken).ConfigureAwait(false)
                : null;
            var response = await SendRawAsync(() =>
            {
                var request = new HttpRequestMessage(call.Method, call.Uri) { Content = call.Content?.Invoke() };
                request.Headers.Authorization = authorization;
                foreach (var accept in call.Accept) request.Headers.Accept.ParseAdd(accept);
                if (call.Upload) _options.Counters.UploadRequest();
                _options.Counters.Request();
                return request;
            }, call, call.What, cancellationToken, attempts).ConfigureAwait(false);
            // A request sent without authorization (before any challenge, or while another request took the same challenge in) is
            // always worth sending again with what the challenge asks for.
            if (response.StatusCode != HttpStatusCode.Unauthorized || renewed
                || (!_auth.Challenged(response, registry, call.Scopes) && authorization is not null)) return response;
            response.Dispose();
        }
    }

    /// <summary>Sends a request made by <paramref name="create"/>, made again for each retry (after 429, 5xx or a dropped connection).</summary>
    private async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> create, RegistryCall? call, string what,
        CancellationToken cancellationToken, int? attempts = null)
    {
        var max = attempts ?? _options.Retry.MaxAttempts;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var request = create();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsDropped(e, cancellationToken))
            {
                request.Dispose();
                if (attempt >= max) throw Unreachable(request.RequestUri!, call, what, e, attempt);
                await WaitAsync(call?.Repository, attempt, null, $"{Describe(e)} while {what}", cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception e) when (Find<BlobSourceException>(e) is { } source)
            {
                request.Dispose();
                throw new TinyImageException(source.Message + $" (pushing to {call?.Repository.Name}); build the image again", source);
            }
            if (!IsTransient(response.StatusCode) || attempt >= max) return response;
            var retryAfter = RetryAfter(response);
            response.Dispose();
            await WaitAsync(call?.Repository, attempt, retryAfter, $"{(int)response.StatusCode} {response.ReasonPhrase} while {what}", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(RegistryReference? repository, int attempt, TimeSpan? retryAfter, string why, CancellationToken cancellationToken)
    {
        var delay = _options.Retry.Delay(attempt, retryAfter);
        _options.Counters.Retry();
        Log($"{repository?.Registry ?? "registry"}: {why}; trying again in {delay.TotalSeconds:0.###} s");
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    // ---- errors ----

    /// <summary>The one-line error for an answer that is not what <paramref name="call"/> needed.</summary>
    private async Task<TinyImageException> FailAsync(RegistryCall call, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] body = [];
        try
        {
            body = await RegistryAddress.ReadBoundedAsync(response.Content, RegistryAnswers.MaxErrorBody, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsDropped(e, cancellationToken))
        {
            // The status says enough.
        }
        var (registry, repository) = (call.Repository.Registry, call.Repository.Repository);
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}" + (RegistryAnswers.Error(body) is { } detail ? $": {detail}" : "");
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                new TinyImageException($"registry {registry} refused {call.What} in {repository} ({status}) {_auth.Tried(registry, repository)}; check the credentials or run: docker login {registry}"),
            HttpStatusCode.NotFound when call.IsManifest =>
                new TinyImageException($"registry {registry} has no image {call.Repository} ({status}); check the name and tag, or push it first"),
            HttpStatusCode.NotFound =>
                new TinyImageException($"registry {registry} answered {status} while {call.What} in {repository}; check the repository name"),
            _ when IsTransient(response.StatusCode) =>
                new TinyImageException($"registry {registry} answered {status} while {call.What} in {repository}, {_options.Retry.MaxAttempts} tries; try again later"),
            _ => new TinyImageException($"registry {registry} answered {status} while {call.What} in {repository}; check the registry's log"),
        };
    }

    private static TinyImageException Unreachable(Uri uri, RegistryCall? call, string what, Exception e, int attempts)
    {
        var registry = call is null ? uri.Authority : $"registry {call.Repository.Registry}";
        var where = call is null ? "" : $" ({call.Repository.Repository})";
        if (Find<SocketException>(e) is { SocketErrorCode: SocketError.ConnectionRefused })
            return new TinyImageException($"cannot connect to {registry} at {uri.Scheme}://{uri.Authority}{where} while {what}: connection refused, {attempts} tries; is the registry running?", e);
        if (Find<AuthenticationException>(e) is not null)
            return new TinyImageException($"the TLS handshake with {registry} at {uri.Authority}{where} failed while {what} ({Describe(e)}); if it serves plain HTTP, give --insecure-registry {uri.Authority}", e);
        if (Find<SocketException>(e) is { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData })
            return new TinyImageException($"cannot resolve the host of {registry} ({uri.Host}){where}; check the name", e);
        return new TinyImageException($"the connection to {registry} at {uri.Authority}{where} dropped while {what} ({Describe(e)}), {attempts} tries; check the registry and the network, then try again", e);
    }

    private static TinyImageException Mismatch(RegistryReference repository, Descriptor blob, string got) =>
        new($"blob {blob.Digest} from registry {repository.Registry} ({repository.Repository}) is not what its descriptor says ({blob.Size} bytes): got {got}; the registry's copy is damaged");

    private static void CheckDigestHeader(HttpResponseMessage response, Digest digest, RegistryCall call)
    {
        if (DigestHeader(response) is { } said && said != digest)
            throw new TinyImageException($"registry {call.Repository.Registry} says {said} after {call.What} in {call.Repository.Repository}, but the content's digest is {digest}; the registry changed the content");
    }

    // ---- small helpers ----

    private static bool IsDropped(Exception e, CancellationToken cancellationToken) =>
        Find<BlobSourceException>(e) is null
        && (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested));

    private static bool IsTransient(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }

    private static string Describe(Exception e) =>
        Sources.ArchiveText.Printable(Find<SocketException>(e)?.Message ?? (e is OperationCanceledException ? "timed out" : e.InnerException?.Message ?? e.Message));

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };

    private static Digest? DigestHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest) ? digest : null;

    /// <summary>The next byte after the registry's <c>Range: 0-END</c>, or null without one.</summary>
    private static long? RangeEnd(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Range", out var values)) return null;
        var text = values.FirstOrDefault() ?? "";
        if (text.StartsWith("bytes=", StringComparison.Ordinal)) text = text[6..];
        var dash = text.IndexOf('-');
        return dash > 0 && long.TryParse(text[(dash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var end) ? end + 1 : null;
    }

    private Uri Location(HttpResponseMessage response, RegistryCall call, Uri? fallback = null)
    {
        var location = response.Headers.Location;
        if (location is null)
            return fallback ?? throw new TinyImageException($"registry {call.Repository.Registry} answered {call.What} in {call.Repository.Repository} without a Location; it does not follow the distribution spec");
        var resolved = location.IsAbsoluteUri ? location : new Uri(call.Uri, location);
        // Another host may take the upload (a storage front end); it gets no credentials (see SendAuthorizedAsync), and
        // plain HTTP only where it would be allowed for a registry.
        if (resolved.Scheme != Uri.UriSchemeHttps && !(resolved.Scheme == Uri.UriSchemeHttp && RegistryAddress.IsPlainHttpAllowed(resolved.Authority, _options)))
            throw new TinyImageException($"registry {call.Repository.Registry} sent the upload of {call.Repository.Repository} to {resolved.GetLeftPart(UriPartial.Authority)}, which is not HTTPS; give --insecure-registry {resolved.Authority} if that host is trusted");
        return resolved;
    }

    private static Uri WithDigest(Uri location, Digest digest) =>
        new UriBuilder(location) { Query = (location.Query.Length > 1 ? location.Query[1..] + "&" : "") + "digest=" + Uri.EscapeDataString(digest.ToString()) }.Uri;

    private static HttpContent OctetStream(HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static string Push(RegistryReference repository) => $"repository:{repository.Repository}:pull,push";

    private static string Pull(RegistryReference repository) => $"repository:{repository.Repository}:pull";

    private static string? MountSource(RegistryReference repository, string? mountFrom)
    {
        if (string.IsNullOrEmpty(mountFrom)) return null;
        var source = mountFrom.StartsWith(repository.Registry + "/", StringComparison.Ordinal) ? mountFrom[(repository.Registry.Length + 1)..] : mountFrom;
        if (!RegistryReference.TryParse($"{repository.Registry}/{source}", out var parsed) || parsed.Registry != repository.Registry || parsed.Repository != source)
            throw new ArgumentException($"'{mountFrom}' is not a repository of registry {repository.Registry}", nameof(mountFrom));
        return source == repository.Repository ? null : source;
    }

    private static string? MediaTypeInside(byte[] bytes)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(bytes);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("mediaType", out var type) && type.ValueKind == System.Text.Json.JsonValueKind.String
                ? type.GetString() : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task<(long Size, Digest Digest)> CopyHashedAsync(HttpContent content, string path, long limit, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var source = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var target = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await using (target.ConfigureAwait(false))
            {
                var buffer = new byte[64 * 1024];
                long size = 0;
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    size += read;
                    if (size > limit) return (size, default);
                    hash.AppendData(buffer, 0, read);
                    try
                    {
                        await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException e)
                    {
                        throw new TinyImageException($"cannot write {path}: {Sources.ArchiveText.Printable(e.Message)}", e);
                    }
                }
                return (size, Digest.FromHash(hash.GetHashAndReset()));
            }
        }
    }

    private static string Short(Digest digest) => digest.ToString()[..19];

    private void Log(string line) => _options.Log?.Invoke(line);
}
