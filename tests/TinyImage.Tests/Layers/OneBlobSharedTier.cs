using TinyImage.Core.Layers;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Layers;

/// <summary>
/// A stand-in for a shared layer cache (a registry) holding at most one layer's blob. It is asked between the local
/// lookup and the compression of a miss, so <see cref="BeforeFetch"/> can change the world exactly there.
/// </summary>
internal sealed class OneBlobSharedTier(string compressor, Layer? layer, bool synchronous = false) : ISharedLayerCache
{
    private readonly byte[]? _blob = layer is null ? null : File.ReadAllBytes(layer.BlobPath);

    /// <summary>Runs at the start of every fetch.</summary>
    public Action<string>? BeforeFetch { get; init; }

    /// <summary>Bytes a failed download leaves at the destination before the miss is answered (null: nothing written).</summary>
    public byte[]? PartialDownload { get; init; }

    public int Fetched { get; private set; }

    public int Stored { get; private set; }

    public async Task<(Digest Digest, long Size)?> TryFetchAsync(string compressorName, Digest diffId, string destinationPath, CancellationToken cancellationToken)
    {
        BeforeFetch?.Invoke(destinationPath);
        if (_blob is null || compressorName != compressor || diffId != layer!.DiffId)
        {
            if (PartialDownload is not null) await File.WriteAllBytesAsync(destinationPath, PartialDownload, cancellationToken).ConfigureAwait(false);
            return null;
        }
        Fetched++;
        if (synchronous) File.WriteAllBytes(destinationPath, _blob); // answers at once, as a cache in memory would
        else await File.WriteAllBytesAsync(destinationPath, _blob, cancellationToken).ConfigureAwait(false);
        return (layer.Digest, _blob.Length);
    }

    public Task StoreAsync(string compressorName, Layer stored, CancellationToken cancellationToken)
    {
        Stored++;
        return Task.CompletedTask;
    }
}
