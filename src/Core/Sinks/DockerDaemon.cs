using System.Net.Http;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Sinks;

/// <summary>
/// A Docker engine reached through DOCKER_HOST or /var/run/docker.sock, through Docker.DotNet:
/// loads image archives as <c>docker load</c> does.
/// </summary>
public sealed class DockerDaemon : IDisposable
{
    private readonly Uri _uri;
    private readonly Lazy<DockerClient> _lazyClient;

    public DockerDaemon(string? endpoint = null)
    {
        Endpoint = endpoint ?? DefaultEndpoint();
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp" or "http"))
            throw new TinyImageException($"DOCKER_HOST '{Endpoint}' is not a unix:// or tcp:// address; fix or unset it");
        _uri = uri;
        _lazyClient = new Lazy<DockerClient>(() => new DockerClientConfiguration(uri, defaultTimeout: TimeSpan.FromMinutes(10)).CreateClient());
    }

    private DockerClient _client => _lazyClient.Value;

    /// <summary>The engine's address, e.g. unix:///var/run/docker.sock.</summary>
    public string Endpoint { get; }

    /// <summary>DOCKER_HOST when set, else the default socket.</summary>
    public static string DefaultEndpoint() =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <summary>
    /// Loads <paramref name="image"/>'s archive as <c>docker load</c> does, streaming it; returns the engine's messages.
    /// The engine answers 200 and then reports a refusal inside its message stream: that is an error here too.
    /// </summary>
    public async Task<IReadOnlyList<string>> LoadAsync(BuiltImage image, CancellationToken cancellationToken)
    {
        var archivePath = image.OutputPath;
        var collector = new MessageCollector();
        await using var archive = File.OpenRead(archivePath);
        try
        {
            await _client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, archive, collector, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw Unreachable(e);
        }
        catch (DockerApiException e)
        {
            throw new TinyImageException($"the Docker engine at {Endpoint} refused {archivePath}: {e.ResponseBody.Trim()}{await AdviceAsync(image, cancellationToken).ConfigureAwait(false)}");
        }
        if (collector.Error is { } error)
            throw new TinyImageException($"the Docker engine at {Endpoint} refused {archivePath}: {error}{await AdviceAsync(image, cancellationToken).ConfigureAwait(false)}");
        return collector.Messages;
    }

    /// <summary>What to do about a refused image, when we know: zstd layers need Docker 23 or newer.</summary>
    private async Task<string> AdviceAsync(BuiltImage image, CancellationToken cancellationToken)
    {
        if (!image.Layers.Any(l => l.MediaType == MediaTypes.LayerZstd)) return "";
        string? version = null;
        try
        {
            version = (await _client.System.GetVersionAsync(cancellationToken).ConfigureAwait(false)).Version;
        }
        catch (Exception e) when (e is DockerApiException || IsUnreachable(e))
        {
            // Not knowing the version only makes the advice less precise.
        }
        int? major = int.TryParse(version?.Split('.')[0], out var m) ? m : null;
        if (major >= 23) return "";
        return $"; its layers are zstd, which {(major is null ? "a Docker engine older than 23" : $"Docker {version}")} cannot load: " +
               "build with --compression gzip (the default), or use Docker 23 or newer";
    }

    /// <summary>The ID (config digest) of the image <paramref name="reference"/> names in the engine, or null when it has none.</summary>
    /// <remarks>
    /// Asked on every <c>--load</c> to skip loading what the engine already has, so it is kept light: on a unix
    /// socket it is one GET read with System.Text.Json, without starting Docker.DotNet and its Newtonsoft.Json.
    /// </remarks>
    public async Task<string?> ImageIdAsync(string reference, CancellationToken cancellationToken)
    {
        try
        {
            if (_uri.Scheme != "unix")
                return (await _client.Images.InspectImageAsync(reference, cancellationToken).ConfigureAwait(false)).ID;
            var socketPath = _uri.LocalPath;
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, token) =>
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
                },
            };
            using var http = new HttpClient(handler) { Timeout = QueryTimeout() };
            using var response = await http.GetAsync($"http://docker/images/{reference}/json", cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var document = await System.Text.Json.JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            return document.RootElement.TryGetProperty("Id", out var id) ? id.GetString() : null;
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            throw new TinyImageException($"the Docker engine at {Endpoint} accepted a connection but did not answer within {QueryTimeout().TotalSeconds:0} s (is it hung? docker info tells)", e);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw Unreachable(e);
        }
    }

    /// <summary>How long a short question to the engine may take: <c>TINYRUN_ENGINE_TIMEOUT</c> seconds, else 30.</summary>
    private static TimeSpan QueryTimeout() =>
        Environment.GetEnvironmentVariable("TINYRUN_ENGINE_TIMEOUT") is not { Length: > 0 } text ? TimeSpan.FromSeconds(30)
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds)
        : throw new TinyImageException($"TINYRUN_ENGINE_TIMEOUT='{text}' is not a number of seconds; set it to e.g. 30 or unset it");

    /// <summary>
    /// Runs <paramref name="command"/> (the whole argv; empty runs the image's own entrypoint and
    /// command) in a new container of <paramref name="image"/> with no network, waits for it, and
    /// removes it. Both outputs are copied, as they are read, to <paramref name="stdout"/> and <paramref name="stderr"/>.
    /// Returns the exit code, and why the container did not run (-1) when it did not.
    /// </summary>
    public async Task<(long ExitCode, string? Failure)> RunAsync(
        string image, IReadOnlyList<string> command, TimeSpan timeout, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        var parameters = new CreateContainerParameters
        {
            Image = image,
            HostConfig = new HostConfig { NetworkMode = "none" },
            Entrypoint = command.Count > 0 ? [command[0]] : null,
            Cmd = command.Count > 0 ? command.Skip(1).ToList() : null,
        };
        string? id = null;
        try
        {
            id = (await _client.Containers.CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false)).ID;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), deadline.Token).ConfigureAwait(false);
            var exit = await _client.Containers.WaitContainerAsync(id, deadline.Token).ConfigureAwait(false);
            using var logs = await _client.Containers.GetContainerLogsAsync(id, tty: false,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, deadline.Token).ConfigureAwait(false);
            await logs.CopyOutputToAsync(Stream.Null, stdout, stderr, deadline.Token).ConfigureAwait(false);
            return (exit.StatusCode, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (-1, $"(timed out after {timeout.TotalSeconds:0} s)");
        }
        catch (DockerApiException e)
        {
            // An exec failure (no such program in the image) is reported when the container starts.
            return (-1, e.ResponseBody.Trim());
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw Unreachable(e);
        }
        finally
        {
            if (id is not null) await RemoveQuietlyAsync(id).ConfigureAwait(false);
        }
    }

    /// <summary>Whether <paramref name="path"/> exists in <paramref name="image"/>, found without running anything in it.</summary>
    public async Task<bool> PathExistsAsync(string image, string path, CancellationToken cancellationToken)
    {
        string? id = null;
        try
        {
            id = (await _client.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Image = image, Entrypoint = ["/nonexistent-entrypoint"], HostConfig = new HostConfig { NetworkMode = "none" },
            }, cancellationToken).ConfigureAwait(false)).ID;
            await _client.Containers.GetArchiveFromContainerAsync(id, new GetArchiveFromContainerParameters { Path = path }, statOnly: true, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound && id is not null)
        {
            return false;
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw Unreachable(e);
        }
        finally
        {
            if (id is not null) await RemoveQuietlyAsync(id).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a container; a failure here must not hide the error that ended its run.</summary>
    private async Task RemoveQuietlyAsync(string id)
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or TimeoutException)
        {
            Console.Error.WriteLine($"tinyrun: warning: could not remove container {id}: {e.Message}");
        }
    }

    public void Dispose()
    {
        if (_lazyClient.IsValueCreated) _lazyClient.Value.Dispose();
    }

    private static bool IsUnreachable(Exception e) =>
        e is HttpRequestException or SocketException or TimeoutException || e.InnerException is SocketException or HttpRequestException;

    private TinyImageException Unreachable(Exception e) =>
        new($"cannot reach the Docker engine at {Endpoint} ({(e.InnerException ?? e).Message}); start dockerd or set DOCKER_HOST", e);

    // Reports synchronously (Progress<T> would post to the thread pool), so every message is in before the load returns.
    private sealed class MessageCollector : IProgress<JSONMessage>
    {
        private readonly List<string> _messages = [];

        public string? Error { get; private set; }

        public IReadOnlyList<string> Messages { get { lock (_messages) return _messages.ToList(); } }

        public void Report(JSONMessage value)
        {
            if (value.Error is { Message: { Length: > 0 } message }) Error ??= message;
            else if (!string.IsNullOrEmpty(value.ErrorMessage)) Error ??= value.ErrorMessage;
            else if (!string.IsNullOrWhiteSpace(value.Stream)) lock (_messages) _messages.Add(value.Stream.Trim());
        }
    }
}
