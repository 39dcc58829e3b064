using System.Net.Http;
using System.Net.Sockets;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;

namespace TinyImage.Core.Images;

/// <summary>Pulls base images through a <see cref="RegistryClient"/>.</summary>
public sealed class RegistryBaseImages(RegistryClient client) : IBaseImageRegistry
{
    public async Task<(string MediaType, byte[] Bytes, Digest Digest, string Registry, string Repository)> GetManifestAsync(string reference, CancellationToken cancellationToken)
    {
        var parsed = Parse(reference);
        var manifest = await client.GetManifestAsync(parsed, cancellationToken).ConfigureAwait(false);
        return (manifest.MediaType, manifest.Bytes.ToArray(), manifest.Digest, parsed.Registry, parsed.Repository);
    }

    public Task DownloadBlobAsync(string reference, Descriptor blob, BlobStore store, CancellationToken cancellationToken) =>
        client.DownloadBlobAsync(Parse(reference), blob, store.PathOf(blob.Digest), cancellationToken);

    public bool IsUnreachable(Exception exception) => Unreachable(exception);

    /// <summary>Whether a registry failure comes from not reaching it at all (a socket or HTTP connection error inside).</summary>
    internal static bool Unreachable(Exception exception)
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
            if (e is SocketException or HttpRequestException) return true;
        return false;
    }

    private static RegistryReference Parse(string reference) =>
        RegistryReference.TryParse(reference, out var parsed) ? parsed
            : throw new TinyImageException($"From.Image(\"{reference}\"): not an image reference; write REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:…");
}
