using System.Net.Http;
using System.Net.Sockets;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Sinks;

/// <summary>
/// A Docker engine reached through DOCKER_HOST or /var/run/docker.sock. Loading images (and the questions a load
/// asks) is plain HTTP on the engine's API (<see cref="EngineHttp"/>); running containers goes through Docker.DotNet,
/// started only then.
/// </summary>
public sealed class DockerDaemon : IImageSink, IDisposable
{
    /// <summary>How long a load may take, from the first byte sent to the engine's last word.</summary>
    internal static readonly TimeSpan LoadTimeout = TimeSpan.FromMinutes(10);

    private readonly Lazy<EngineContainers> _containers;
    private readonly EngineHttp _http;

    /// <summary>The answers to "which image does this name have?" asked before the image was built (<see cref="AskEarly"/>), by name.</summary>
    private readonly Dictionary<string, Task<string?>> _early = new(StringComparer.Ordinal);

    /// <summary>The loads opened before the image was built (<see cref="AskEarly"/>), by name.</summary>
    private readonly Dictionary<string, OpenedLoad> _opened = new(StringComparer.Ordinal);

    public DockerDaemon(string? endpoint = null)
    {
        Endpoint = endpoint ?? DefaultEndpoint();
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp" or "http"))
            throw new TinyImageException($"DOCKER_HOST '{Endpoint}' is not a unix:// or tcp:// address; fix or unset it");
        _containers = new Lazy<EngineContainers>(() => new EngineContainers(uri, this));
        _http = new EngineHttp(uri);
    }

    /// <summary>The engine's address, e.g. unix:///var/run/docker.sock.</summary>
    public string Endpoint { get; }

    /// <summary>DOCKER_HOST when set, else the default socket.</summary>
    public static string DefaultEndpoint() =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <summary>
    /// Loads <paramref name="image"/> as <c>docker load</c> does, unless the engine's image of that name already is this
    /// one (same config digest, the image ID): the archive is made as it is sent, in chunks, from the layers' blobs (as
    /// plain tars, see <see cref="EngineArchive"/>), so no archive is written or read first. Returns what happened: "loaded NAME into the Docker engine at unix:///…".
    /// </summary>
    public async Task<string> WriteAsync(IImage image, ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(reference);
        var id = image.ConfigDigest.ToString();
        var name = reference.ToString();
        // Asked now, unless an early answer says the engine lacks it; an early yes is asked again, as the name may have
        // moved while the image was built.
        var has = (!_early.Remove(name, out var early) || await early.ConfigureAwait(false) == id)
                  && await ImageIdAsync(name, cancellationToken).ConfigureAwait(false) == id;
        var hasZstdLayers = image.Layers.Any(l => l.MediaType == MediaTypes.LayerZstd);
        Task WriteArchive(Stream destination, CancellationToken token) => EngineArchive.WriteAsync(image, reference, destination, token);
        // A load opened early (the engine had no image of this name when asked, or a guess said this build gives another)
        // is finished, or ended with no image when the engine has this one after all; until here, Dispose ends it if a
        // question above failed.
        _opened.Remove(name, out var opened);
        if (opened is not null && await opened.IsOpenAsync().ConfigureAwait(false))
        {
            if (has)
            {
                // Opened on a guess that this build gives another image than the engine's (LoadHistory); it gave that one.
                await opened.AbandonAsync().ConfigureAwait(false);
                return $"{reference} is already in the Docker engine at {Endpoint} ({image.ConfigDigest})";
            }
            try
            {
                await opened.FinishAsync(WriteArchive, hasZstdLayers, cancellationToken).ConfigureAwait(false);
                return $"loaded {reference} into the Docker engine at {Endpoint}";
            }
            catch (TinyImageException e) when (e.InnerException is IOException or SocketException && !cancellationToken.IsCancellationRequested)
            {
                // The connection opened before the image was built broke while it waited (a proxy that drops idle
                // connections, an engine restarted meanwhile), or could not be made: the image is sent again, in a load
                // of its own, as it is when nothing was opened. A load gives the same image however often it is sent.
            }
        }
        if (has) return $"{reference} is already in the Docker engine at {Endpoint} ({image.ConfigDigest})";
        await LoadAsync(WriteArchive, name, () => hasZstdLayers, cancellationToken).ConfigureAwait(false);
        return $"loaded {reference} into the Docker engine at {Endpoint}";
    }

    /// <summary>Loads the docker-load archive at <paramref name="archivePath"/>; see <see cref="WriteAsync"/>.</summary>
    /// <param name="hasZstdLayers">Whether to add, to a refusal, that zstd layers need Docker 23 or newer.</param>
    internal async Task<IReadOnlyList<string>> LoadAsync(string archivePath, bool hasZstdLayers, CancellationToken cancellationToken)
    {
        var archive = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        await using (archive.ConfigureAwait(false))
            return await LoadAsync((destination, token) => archive.CopyToAsync(destination, 256 * 1024, token), archivePath, () => hasZstdLayers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the archive <paramref name="writeArchive"/> writes to the engine's load endpoint; returns the engine's
    /// messages. The engine answers 200 and then reports a refusal inside its message stream: that is an error here too.
    /// </summary>
    /// <param name="hasZstdLayers">Asked after a refusal: whether to add that zstd layers need Docker 23 or newer.</param>
    /// <param name="withDeadline">Whether the load may take at most <see cref="LoadTimeout"/>; without, the caller sees to it.</param>
    internal async Task<IReadOnlyList<string>> LoadAsync(Func<Stream, CancellationToken, Task> writeArchive, string what, Func<bool> hasZstdLayers, CancellationToken cancellationToken, bool withDeadline = true)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int status;
        EngineAnswer answer;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            if (withDeadline) deadline.CancelAfter(LoadTimeout);
            try
            {
                (status, var body) = await _http.SendChunkedAsync("POST", "/images/load?quiet=1", writeArchive, "application/x-tar", deadline.Token).ConfigureAwait(false);
                answer = EngineAnswer.Parse(body);
            }
            catch (SocketException e)
            {
                throw Unreachable(e);
            }
            catch (IOException e)
            {
                throw new TinyImageException($"the Docker engine at {Endpoint} broke off the load of {what} ({e.Message}); see its log (journalctl -u docker)", e);
            }
        }
        if (status is < 200 or > 299 || answer.Error is not null)
        {
            var error = answer.Error ?? $"HTTP {status}";
            throw new TinyImageException($"the Docker engine at {Endpoint} refused {what}: {error}{(hasZstdLayers() ? await ZstdAdviceAsync(cancellationToken).ConfigureAwait(false) : "")}");
        }
        return answer.Messages;
    }

    /// <summary>What to do about a refused image of zstd layers: they need Docker 23 or newer.</summary>
    private async Task<string> ZstdAdviceAsync(CancellationToken cancellationToken)
    {
        string? version = null;
        try
        {
            using var document = await GetJsonAsync("/version", cancellationToken).ConfigureAwait(false);
            if (document?.RootElement is { ValueKind: System.Text.Json.JsonValueKind.Object } root && root.TryGetProperty("Version", out var v))
                version = v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
        }
        catch (TinyImageException)
        {
            // Not knowing the version only makes the advice less precise.
        }
        int? major = int.TryParse(version?.Split('.')[0], out var m) ? m : null;
        if (major >= 23) return "";
        return $"; its layers are zstd, which {(major is null ? "a Docker engine older than 23" : $"Docker {version}")} cannot load: " +
               "build with --compression gzip (the default), or use Docker 23 or newer";
    }

    /// <summary>
    /// Asks now, while the image is being built, which image the engine has under <paramref name="reference"/>: the one
    /// question a load of an unchanged image asks. Its answer (or failure) is taken by the load of that name; the
    /// connection opens and the HTTP code the load uses starts on the other core meanwhile. When the engine has no
    /// image of that name, the load itself is opened too (<see cref="OpenedLoad"/>): the engine starts unpacking it
    /// while the image is built. So it is when the engine has one and <paramref name="likelyChanged"/>, given its ID,
    /// guesses that the image being built is another (<see cref="LoadHistory"/>).
    /// </summary>
    public void AskEarly(ImageReference reference, CancellationToken cancellationToken, Func<string, bool>? likelyChanged = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var name = reference.ToString();
        if (_early.ContainsKey(name)) return;
        var engineImage = Task.Run(() => ImageIdAsync(name, cancellationToken), CancellationToken.None);
        _early[name] = engineImage;
        _opened[name] = new OpenedLoad(this, name, engineImage, likelyChanged, cancellationToken);
    }

    /// <summary>The ID (config digest) of the image <paramref name="reference"/> names in the engine, or null when it has none.</summary>
    /// <remarks>Asked on every <c>--load</c> to skip loading what the engine already has.</remarks>
    public async Task<string?> ImageIdAsync(string reference, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync($"/images/{reference}/json", cancellationToken).ConfigureAwait(false);
        return document?.RootElement is { ValueKind: System.Text.Json.JsonValueKind.Object } root && root.TryGetProperty("Id", out var id)
            && id.ValueKind == System.Text.Json.JsonValueKind.String ? id.GetString() : null;
    }

    /// <summary>A short question: GETs <paramref name="path"/> within <see cref="QueryTimeout"/>; null when the engine says 404.</summary>
    private async Task<System.Text.Json.JsonDocument?> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        var timeout = QueryTimeout();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        int status;
        byte[] body;
        try
        {
            (status, body) = await _http.SendAsync("GET", path, body: null, contentType: null, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TinyImageException($"the Docker engine at {Endpoint} accepted a connection but did not answer within {timeout.TotalSeconds:0} s (is it hung? docker info tells)", e);
        }
        catch (SocketException e)
        {
            throw Unreachable(e);
        }
        catch (IOException e)
        {
            throw new TinyImageException($"the Docker engine at {Endpoint} gave no usable answer to GET {path} ({e.Message}); is DOCKER_HOST a Docker engine?", e);
        }
        if (status == 404) return null;
        if (status is < 200 or > 299)
            throw new TinyImageException($"the Docker engine at {Endpoint} answered GET {path} with {status}: {EngineAnswer.Parse(body).Error ?? "no message"}");
        try
        {
            return System.Text.Json.JsonDocument.Parse(body, new System.Text.Json.JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new TinyImageException($"the Docker engine at {Endpoint} answered GET {path} with something that is not JSON ({e.Message}); is DOCKER_HOST a Docker engine?", e);
        }
    }

    /// <summary>How long a short question to the engine may take: <c>TINYRUN_ENGINE_TIMEOUT</c> seconds, else 30.</summary>
    private static TimeSpan QueryTimeout() =>
        Environment.GetEnvironmentVariable("TINYRUN_ENGINE_TIMEOUT") is not { Length: > 0 } text ? TimeSpan.FromSeconds(30)
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds)
        : throw new TinyImageException($"TINYRUN_ENGINE_TIMEOUT='{text}' is not a number of seconds; set it to e.g. 30 or unset it");

    /// <summary>
    /// Runs <paramref name="command"/> (the whole argv; empty runs the image's own entrypoint and command) in a new
    /// container of <paramref name="image"/> with no network; see <see cref="EngineContainers.RunAsync"/>.
    /// </summary>
    public Task<(long ExitCode, string? Failure)> RunAsync(
        string image, IReadOnlyList<string> command, TimeSpan timeout, Stream stdout, Stream stderr, CancellationToken cancellationToken) =>
        _containers.Value.RunAsync(image, command, timeout, stdout, stderr, cancellationToken);

    /// <summary>Whether <paramref name="path"/> exists in <paramref name="image"/>, found without running anything in it.</summary>
    public Task<bool> PathExistsAsync(string image, string path, CancellationToken cancellationToken) =>
        _containers.Value.PathExistsAsync(image, path, cancellationToken);

    public void Dispose()
    {
        // A load opened for an image that was not built (the build failed) loads nothing; it is ended rather than cut off.
        foreach (var opened in _opened.Values) opened.Abandon();
        _opened.Clear();
        if (_containers.IsValueCreated) _containers.Value.Dispose();
    }

    internal static bool IsUnreachable(Exception e) =>
        e is HttpRequestException or SocketException or TimeoutException || e.InnerException is SocketException or HttpRequestException;

    internal TinyImageException Unreachable(Exception e) =>
        new($"cannot reach the Docker engine at {Endpoint} ({(e.InnerException ?? e).Message}); start dockerd or set DOCKER_HOST", e);
}
