namespace TinyImage.Core.Oci;

/// <summary>The OCI media types TinyImage writes. It never mixes in Docker's schema2 types.</summary>
public static class MediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string LayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string LayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string LayerTar = "application/vnd.oci.image.layer.v1.tar";
}
