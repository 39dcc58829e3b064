namespace TinyImage.Core.Oci;

/// <summary>One layer of an <see cref="IImage"/>: a tar of files, stored compressed (or not) as a blob.</summary>
public interface ILayer
{
    /// <summary>The digest of the blob as stored: what manifests and registries name the layer by.</summary>
    Digest Digest { get; }

    /// <summary>The digest of the uncompressed tar: what the config's <c>rootfs.diff_ids</c> lists.</summary>
    Digest DiffId { get; }

    /// <summary>Size of the stored blob in bytes.</summary>
    long Size { get; }

    /// <summary>The blob's media type, e.g. <see cref="MediaTypes.LayerGzip"/>.</summary>
    string MediaType { get; }

    /// <summary>Opens the blob as stored (compressed), for reading from the start; the caller disposes it.</summary>
    Stream OpenCompressed();

    /// <summary>Opens the layer's tar (compression undone); the caller disposes it.</summary>
    Stream OpenUncompressed();
}
