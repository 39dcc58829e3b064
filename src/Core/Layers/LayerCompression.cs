namespace TinyImage.Core.Layers;

/// <summary>How a layer blob is compressed; the choice sets the layer's media type.</summary>
public enum LayerCompression
{
    /// <summary><c>application/vnd.oci.image.layer.v1.tar+gzip</c>: every engine and registry reads it. The default.</summary>
    Gzip,

    /// <summary>
    /// <c>application/vnd.oci.image.layer.v1.tar+zstd</c>, written with the libzstd that the ZstdNet package ships.
    /// Needs Docker 23 or newer (Debian 12's docker.io 20.10 cannot load it), containerd 1.5+, podman/skopeo.
    /// </summary>
    Zstd,
}
