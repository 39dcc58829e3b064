namespace TinyImage.Core.Oci;

/// <summary>What an image is written as.</summary>
public enum ImageFormat
{
    /// <summary>One tar that is both an OCI image layout and a <c>docker load</c> archive (the default).</summary>
    Archive,

    /// <summary>An OCI image layout directory (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/…</c>), as skopeo's <c>oci:</c> reads.</summary>
    OciDirectory,
}
