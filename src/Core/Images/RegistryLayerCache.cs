using System.Security.Cryptography;
using System.Text;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;

namespace TinyImage.Core.Images;

/// <summary>
/// A layer cache shared through a registry repository (<c>--cache-repo</c>): each compressed layer is stored as a
/// one-layer image tagged with its cache key (the compressor and the layer's diff_id), so another machine finds it by
/// one manifest request and downloads the blob instead of compressing it. Any failure is a warning: the build goes on.
/// </summary>
public sealed class RegistryLayerCache(RegistryClient client, RegistryReference repository, Action<string> warn) : ISharedLayerCache
{
    /// <summary>1 once the registry could not be reached: the rest of the build does without it, instead of waiting for it each time.</summary>
    private int _unreachable;

    /// <summary>The tag of a cache entry: <c>layer-</c> and the SHA-256 of the compressor's name and the diff_id.</summary>
    public static string Tag(string compressor, Digest diffId) =>
        "layer-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(compressor + "\n" + diffId)));

    public async Task<(Digest Digest, long Size)?> TryFetchAsync(string compressor, Digest diffId, string destinationPath, CancellationToken cancellationToken)
    {
        var entry = repository.WithTag(Tag(compressor, diffId));
        if (Volatile.Read(ref _unreachable) == 1) return null;
        try
        {
            if (await client.HeadManifestAsync(entry, cancellationToken).ConfigureAwait(false) is null) return null;
            var manifest = await client.GetManifestAsync(entry, cancellationToken).ConfigureAwait(false);
            var (_, layers) = BaseImageDocuments.ReadManifest(manifest.Bytes, entry.ToString());
            if (layers.Count != 1) return null;
            await client.DownloadBlobAsync(repository, layers[0], destinationPath, cancellationToken).ConfigureAwait(false);
            return (layers[0].Digest, layers[0].Size);
        }
        catch (TinyImageException e)
        {
            if (Unreachable(e)) return null;
            warn($"the shared layer cache {repository.Name} could not give layer {diffId} ({e.Message}); compressing it here");
            return null;
        }
    }

    public async Task StoreAsync(string compressor, Layer layer, CancellationToken cancellationToken)
    {
        var entry = repository.WithTag(Tag(compressor, layer.DiffId));
        if (Volatile.Read(ref _unreachable) == 1) return;
        try
        {
            // A real one-layer image, so that any registry takes it and any tool can look inside.
            var config = ImageDocuments.Config(new Spec.ImageConfig(), "amd64", [layer.DiffId], DateTimeOffset.UnixEpoch);
            var configBlob = RegistryBlob.FromBytes(MediaTypes.ImageConfig, config);
            await client.PushBlobAsync(repository, RegistryBlob.FromFile(layer.ToDescriptor(), layer.BlobPath), cancellationToken).ConfigureAwait(false);
            await client.PushBlobAsync(repository, configBlob, cancellationToken).ConfigureAwait(false);
            var manifest = ImageDocuments.Manifest(configBlob.Descriptor, [layer.ToDescriptor()]);
            await client.PutManifestAsync(entry, MediaTypes.ImageManifest, manifest, cancellationToken).ConfigureAwait(false);
        }
        catch (TinyImageException e)
        {
            if (Unreachable(e)) return;
            warn($"could not store layer {layer.DiffId} in the shared layer cache {repository.Name} ({e.Message}); the build goes on");
        }
    }

    /// <summary>Whether <paramref name="e"/> says the registry cannot be reached; the first such failure is reported, and ends the cache's use.</summary>
    private bool Unreachable(TinyImageException e)
    {
        if (!RegistryBaseImages.Unreachable(e)) return false;
        if (Interlocked.Exchange(ref _unreachable, 1) == 0)
            warn($"the shared layer cache {repository.Name} cannot be reached ({e.Message}); this build goes on without it");
        return true;
    }
}
