namespace TinyImage.Core.Registry;

/// <summary>How a <see cref="RegistryClient"/> reaches registries: where credentials come from, which hosts speak plain
/// HTTP, how it retries, and how large its uploads are.</summary>
public sealed record RegistryOptions
{
    /// <summary>
    /// Reads an environment variable (<c>DOCKER_CONFIG</c>, <c>HOME</c>, <c>REGISTRY_AUTH_FILE</c>,
    /// <c>XDG_RUNTIME_DIR</c>, and <c>PATH</c> for <c>docker-credential-*</c> helpers). The process environment by default.
    /// </summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The Docker config directory (holding <c>config.json</c>); null: <c>$DOCKER_CONFIG</c>, else <c>~/.docker</c>.</summary>
    public string? DockerConfigDirectory { get; init; }

    /// <summary>A containers <c>auth.json</c>; null: <c>$REGISTRY_AUTH_FILE</c>, else <c>$XDG_RUNTIME_DIR/containers/auth.json</c>.</summary>
    public string? AuthFile { get; init; }

    /// <summary>Registries (<c>host[:port]</c>) spoken to over plain HTTP besides loopback ones (<c>--insecure-registry</c>).</summary>
    public IReadOnlySet<string> InsecureHosts { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    public RegistryRetryPolicy Retry { get; init; } = new();

    /// <summary>Blobs up to this size go in one PUT; larger ones in PATCH chunks of <see cref="ChunkSize"/>.</summary>
    public long MonolithicLimit { get; init; } = 8L << 20;

    /// <summary>Bytes per PATCH of a chunked upload (streamed; never held in memory).</summary>
    public long ChunkSize { get; init; } = 16L << 20;

    /// <summary>How long one request may take before it counts as dropped.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The HTTP handler under the client (tests count or fault requests with one); null: a new <see cref="SocketsHttpHandler"/>.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Receives one line per notable step (a retry, an upload, a mount), for <c>--verbose</c>.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Counts what the client does; tests read it.</summary>
    public RegistryCounters Counters { get; init; } = new();
}
