using System.Net;
using System.Net.Sockets;

namespace TinyImage.Core.Debian;

/// <summary>
/// A Debian mirror (an <c>http</c>, <c>https</c> or <c>file</c> URI) and the keys that sign its suites: taken from the
/// machine's apt sources for a suite, or given explicitly. Downloads are streamed, with a connect timeout and an idle
/// timeout; a mirror that cannot be reached is one line naming it.
/// </summary>
internal sealed class DebianMirror : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient? _client;
    private readonly Lazy<OpenPgpKeyring> _keyring;

    private DebianMirror(Uri uri, IReadOnlyList<string> components, Func<OpenPgpKeyring> keyring, string configuredAt, int maxConnections)
    {
        Uri = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        Components = components;
        _keyring = new Lazy<OpenPgpKeyring>(keyring);
        ConfiguredAt = configuredAt;
        if (Uri.Scheme is "http" or "https")
            _client = new HttpClient(new SocketsHttpHandler
            {
                ConnectTimeout = ConnectTimeout,
                MaxConnectionsPerServer = Math.Max(1, maxConnections),
                AutomaticDecompression = DecompressionMethods.None,
            })
            { Timeout = Timeout.InfiniteTimeSpan };
        else if (Uri.Scheme != "file")
            throw new TinyImageException($"{configuredAt}: the mirror '{uri}' is neither http, https nor file; give another mirror");
    }

    /// <summary>Uri is the mirror's root, ending in '/'.</summary>
    public Uri Uri { get; }

    /// <summary>Components are those to read: <see cref="DebianOptions.Components"/>, else <c>main</c>.</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>Keyring holds the keys that may sign the suite's InRelease (read when first needed).</summary>
    public OpenPgpKeyring Keyring => _keyring.Value;

    /// <summary>ConfiguredAt says where the mirror comes from (an apt source's file and line, or the options), for messages.</summary>
    public string ConfiguredAt { get; }

    /// <summary>
    /// For <paramref name="suite"/>: the mirror of <see cref="DebianOptions.Mirror"/>, else of the first apt source serving
    /// the suite; the keyring of <see cref="DebianOptions.Keyring"/>, else the source's Signed-By, else apt's trusted keyrings.
    /// </summary>
    /// <exception cref="TinyImageException">No mirror configured for the suite, or an unusable one.</exception>
    public static DebianMirror For(string suite, DebianOptions options)
    {
        var sources = AptSourceList.Read(options.AptDirectory);
        var source = sources.Find(suite);
        Uri uri;
        string configuredAt;
        if (options.Mirror is { } explicitMirror)
        {
            if (!Uri.TryCreate(explicitMirror, UriKind.Absolute, out uri!))
                throw new TinyImageException($"the mirror option '{explicitMirror}' is not an absolute URI (http://HOST/debian, or file:///PATH)");
            configuredAt = "the mirror option";
        }
        else if (source is not null)
        {
            uri = source.Uris[0];
            configuredAt = source.Location;
        }
        else
        {
            throw new TinyImageException(
                $"no apt source serves the suite '{suite}' (read {sources.AptDirectory}/sources.list and sources.list.d); add one, or give a mirror");
        }
        // The recipe's choice (default main), never the machine's sources: a lock must mean the same on every machine.
        var components = options.Components is { Count: > 0 } chosen ? chosen : ["main"];
        return new DebianMirror(uri, components, () => LoadKeyring(options, source, sources), configuredAt, options.MaxParallelDownloads);
    }

    private static OpenPgpKeyring LoadKeyring(DebianOptions options, AptSource? source, AptSourceList sources)
    {
        if (options.Keyring is { } keyring) return OpenPgpKeyring.Load([keyring]);
        if (source is { SignedBy.Count: > 0 })
        {
            if (source.SignedBy[0].StartsWith("-----BEGIN", StringComparison.Ordinal))
                return OpenPgpKeyring.FromArmored(source.SignedBy[0], $"the key block in {source.Location}");
            if (source.SignedBy.FirstOrDefault(s => !s.StartsWith('/')) is { } fingerprint)
                throw new TinyImageException($"{source.Location}: Signed-By '{fingerprint}' is a fingerprint; name the keyring file instead, or give the keyring option");
            return OpenPgpKeyring.Load(source.SignedBy);
        }
        var defaults = sources.DefaultKeyrings();
        if (defaults.Count == 0)
            throw new TinyImageException($"no keyring to check the mirror's signatures: no Signed-By and no {sources.AptDirectory}/trusted.gpg.d; give the keyring option");
        return OpenPgpKeyring.Load(defaults);
    }

    /// <summary>UrlOf returns the URL of a path relative to the mirror's root, each component escaped.</summary>
    public Uri UrlOf(string relativePath) =>
        new(Uri, string.Join('/', relativePath.Split('/').Select(Uri.EscapeDataString)));

    /// <summary>
    /// DownloadAsync streams <paramref name="relativePath"/> into <paramref name="destination"/>, at most
    /// <paramref name="maxBytes"/> bytes, calling <paramref name="onBytes"/> as bytes arrive. False when the mirror does
    /// not have the file (404).
    /// </summary>
    /// <exception cref="MirrorUnreachableException">The mirror cannot be reached, stalls, or answers with an error.</exception>
    /// <exception cref="TinyImageException">The file is larger than <paramref name="maxBytes"/>.</exception>
    public async Task<bool> DownloadAsync(string relativePath, Stream destination, long maxBytes, Action<int>? onBytes, CancellationToken cancellationToken)
    {
        var url = UrlOf(relativePath);
        if (_client is null) return await CopyLocalAsync(url, destination, maxBytes, onBytes, cancellationToken).ConfigureAwait(false);
        try
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(IdleTimeout);
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone) return false;
            if (!response.IsSuccessStatusCode)
                throw new MirrorUnreachableException($"the Debian mirror {Uri} answered {(int)response.StatusCode} {response.ReasonPhrase} for {relativePath}");
            if (response.Content.Headers.ContentLength > maxBytes) throw TooLarge(url, maxBytes);
            var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                while (true)
                {
                    idle.CancelAfter(IdleTimeout);
                    var read = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                    if (read == 0) break;
                    total += read;
                    if (total > maxBytes) throw TooLarge(url, maxBytes);
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    onBytes?.Invoke(read);
                }
            }
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MirrorUnreachableException($"the Debian mirror {Uri} sent nothing for {IdleTimeout.TotalSeconds:0} s ({relativePath})");
        }
        catch (HttpRequestException e)
        {
            throw new MirrorUnreachableException($"the Debian mirror {Uri} is unreachable ({Reason(e)}), configured in {ConfiguredAt}", e);
        }
        catch (IOException e) when (e.InnerException is SocketException or HttpRequestException)
        {
            throw new MirrorUnreachableException($"the Debian mirror {Uri} broke off the download of {relativePath} ({e.Message})", e);
        }
    }

    private static async Task<bool> CopyLocalAsync(Uri url, Stream destination, long maxBytes, Action<int>? onBytes, CancellationToken cancellationToken)
    {
        FileStream source;
        try
        {
            source = new FileStream(url.LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MirrorUnreachableException($"cannot read {url.LocalPath} of the local mirror: {e.Message}", e);
        }
        await using (source.ConfigureAwait(false))
        {
            if (source.Length > maxBytes) throw TooLarge(url, maxBytes);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                onBytes?.Invoke(read);
            }
        }
        return true;
    }

    private static TinyImageException TooLarge(Uri url, long maxBytes) =>
        new($"{url} is larger than the {maxBytes} bytes expected; the mirror is broken or not a Debian mirror; nothing was cached");

    private static string Reason(HttpRequestException e) =>
        e.InnerException is SocketException socket ? socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData => "host not found",
            SocketError.TimedOut => "timed out",
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
            _ => socket.Message,
        } : e.InnerException?.Message ?? e.Message;

    public void Dispose() => _client?.Dispose();
}
