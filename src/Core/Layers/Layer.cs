using TinyImage.Core.Oci;

namespace TinyImage.Core.Layers;

/// <summary>A finished layer blob on disk (gzip, zstd or a plain tar) and the numbers that describe it.</summary>
public sealed record Layer : ILayer
{
    /// <summary>The digest of the compressed blob: what manifests and registries name it by.</summary>
    public required Digest Digest { get; init; }

    /// <summary>The digest of the uncompressed tar: what the image config's <c>rootfs.diff_ids</c> lists.</summary>
    public required Digest DiffId { get; init; }

    /// <summary>Size of the compressed blob in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Size of the uncompressed tar in bytes.</summary>
    public required long UncompressedSize { get; init; }

    public string MediaType { get; init; } = MediaTypes.LayerGzip;

    /// <summary>Where the compressed blob is; the caller owns the file and deletes it when done.</summary>
    public required string BlobPath { get; init; }

    /// <summary>Number of regular files in the layer.</summary>
    public required int FileCount { get; init; }

    /// <summary>Number of tar entries: files, directories and symlinks.</summary>
    public required int EntryCount { get; init; }

    /// <summary>Sum of the sizes of the regular files, in bytes.</summary>
    public required long ContentSize { get; init; }

    /// <summary>
    /// The registry and repository the layer was pulled from (<c>127.0.0.1:5000</c>, <c>team/base</c>), or null; a push
    /// to another repository of that registry mounts it from there instead of uploading it.
    /// </summary>
    public (string Registry, string Repository)? PulledFrom { get; init; }

    /// <summary>The descriptor a manifest lists for this layer.</summary>
    public Descriptor ToDescriptor() => new(MediaType, Digest, Size);

    /// <summary>Opens the blob file.</summary>
    /// <exception cref="TinyImageException">The blob is gone (a cache prune, a finished build that wrote it without the cache).</exception>
    public Stream OpenCompressed()
    {
        try
        {
            return new FileStream(BlobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 17, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TinyImageException($"the blob of layer {Digest} is gone from {BlobPath} (a cache prune?); build again", e);
        }
    }

    public Stream OpenUncompressed() => LayerStreams.Decompress(OpenCompressed(), MediaType);
}
