using TinyImage.Core.Oci;

namespace TinyImage.Core.Layers;

/// <summary>What a layer's uncompressed tar is, measured without compressing it: its diff_id, size and counts.</summary>
public sealed record LayerContent
{
    /// <summary>The SHA-256 of the uncompressed tar: the image config's <c>rootfs.diff_ids</c> entry.</summary>
    public required Digest DiffId { get; init; }

    /// <summary>Size of the uncompressed tar in bytes.</summary>
    public required long UncompressedSize { get; init; }

    /// <summary>Number of regular files.</summary>
    public required int FileCount { get; init; }

    /// <summary>Number of tar entries: files, directories and symlinks.</summary>
    public required int EntryCount { get; init; }

    /// <summary>Sum of the sizes of the regular files, in bytes.</summary>
    public required long ContentSize { get; init; }

    /// <summary>The layer whose compressed blob of this content is at <paramref name="blobPath"/>.</summary>
    public Layer ToLayer(Digest digest, long size, string blobPath, string mediaType) => new()
    {
        Digest = digest,
        DiffId = DiffId,
        Size = size,
        UncompressedSize = UncompressedSize,
        MediaType = mediaType,
        BlobPath = blobPath,
        FileCount = FileCount,
        EntryCount = EntryCount,
        ContentSize = ContentSize,
    };
}
