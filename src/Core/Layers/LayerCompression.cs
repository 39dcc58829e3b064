namespace TinyImage.Core.Layers;

/// <summary>How a layer blob is compressed; the choice sets the layer's media type.</summary>
public enum LayerCompression
{
    /// <summary>
    /// <c>application/vnd.oci.image.layer.v1.tar+gzip</c>: every engine and registry reads it. The default. The deflate
    /// is SharpCompress's managed one (<see cref="PinnedGzipStream"/>), so the blob bytes depend only on the TinyImage
    /// version: the same on every machine and .NET runtime.
    /// </summary>
    Gzip,

    /// <summary>
    /// <c>application/vnd.oci.image.layer.v1.tar+zstd</c>, written with the libzstd that the ZstdNet package ships.
    /// Needs Docker 23 or newer (Debian 12's docker.io 20.10 cannot load it), containerd 1.5+, podman/skopeo.
    /// </summary>
    Zstd,

    /// <summary>
    /// gzip like <see cref="Gzip"/>, deflated by the .NET runtime's zlib-ng (System.IO.Compression): several times faster,
    /// but another .NET runtime may deflate differently, so the blob (and manifest) digests are not pinned.
    /// </summary>
    GzipFast,
}
