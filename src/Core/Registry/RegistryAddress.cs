using System.Net;

namespace TinyImage.Core.Registry;

/// <summary>Where a registry's API is (HTTPS, or plain HTTP for loopback and insecure hosts) and bounded reads of what it answers.</summary>
internal static class RegistryAddress
{
    /// <summary>Whether <paramref name="authority"/> (<c>host[:port]</c>) may be spoken to over plain HTTP: a loopback host, or one given as insecure.</summary>
    public static bool IsPlainHttpAllowed(string authority, RegistryOptions options)
    {
        if (options.InsecureHosts.Contains(authority)) return true;
        var host = Host(authority);
        if (options.InsecureHosts.Contains(host)) return true;
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary><c>http(s)://api-host/v2/</c> for <paramref name="reference"/>'s registry.</summary>
    public static Uri Base(RegistryReference reference, RegistryOptions options) =>
        new($"{(IsPlainHttpAllowed(reference.Registry, options) ? "http" : "https")}://{reference.ApiHost}/v2/");

    /// <summary>The host of <c>host[:port]</c> or <c>[v6]:port</c>, without brackets.</summary>
    public static string Host(string authority)
    {
        if (authority.StartsWith('['))
        {
            var end = authority.IndexOf(']');
            return end > 0 ? authority[1..end] : authority;
        }
        var colon = authority.LastIndexOf(':');
        return colon >= 0 && authority.IndexOf(':') == colon ? authority[..colon] : authority;
    }

    /// <summary>The body, refused (<see cref="TinyImageException"/>) beyond <paramref name="limit"/> bytes; what a registry sends is never trusted to be small.</summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken, string? what = null)
    {
        if (content.Headers.ContentLength is { } length && length > limit) return TooLarge(limit, what);
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit) return TooLarge(limit, what);
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
    }

    // Error bodies and token answers past the limit are cut (what == null); documents past it are refused.
    private static byte[] TooLarge(int limit, string? what) =>
        what is null ? [] : throw new TinyImageException($"{what} is larger than {limit >> 20} MiB, the most TinyImage reads of it; the registry sent something other than a manifest");
}
