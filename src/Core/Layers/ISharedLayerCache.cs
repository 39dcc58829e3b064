using TinyImage.Core.Oci;

namespace TinyImage.Core.Layers;

/// <summary>
/// A second tier of the <see cref="LayerCache"/> that machines share (a registry repository, <c>--cache-repo</c>): asked
/// on a local miss before a layer is compressed, and given every layer compressed here. A shared entry is trusted no more
/// than a local one: it is used only when it decompresses to the diff_id asked for. Neither call throws for a miss or an
/// unreachable cache: the build goes on without it.
/// </summary>
public interface ISharedLayerCache
{
    /// <summary>Downloads the blob that <paramref name="compressor"/> made of the layer <paramref name="diffId"/> to <paramref name="destinationPath"/>; its digest and size, or null when the cache lacks it.</summary>
    Task<(Digest Digest, long Size)?> TryFetchAsync(string compressor, Digest diffId, string destinationPath, CancellationToken cancellationToken);

    /// <summary>Stores a layer <paramref name="compressor"/> just made, whose blob is at <see cref="Layer.BlobPath"/>.</summary>
    Task StoreAsync(string compressor, Layer layer, CancellationToken cancellationToken);
}
