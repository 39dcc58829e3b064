using TinyImage.Core.Oci;

namespace TinyImage.Core.Registry;

/// <summary>The manifest media types a registry may serve: OCI's, and Docker's schema2 ones that base images often still use.</summary>
public static class RegistryMediaTypes
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>The manifest types asked for (the <c>Accept</c> of a manifest request), indexes first.</summary>
    public static IReadOnlyList<string> Accepted { get; } =
        [MediaTypes.ImageIndex, DockerManifestList, MediaTypes.ImageManifest, DockerManifest];

    /// <summary>Whether <paramref name="mediaType"/> is an index (OCI) or a manifest list (Docker).</summary>
    public static bool IsIndex(string mediaType) => mediaType is MediaTypes.ImageIndex or DockerManifestList;

    /// <summary>Whether <paramref name="mediaType"/> is one image's manifest (OCI or Docker schema2).</summary>
    public static bool IsImageManifest(string mediaType) => mediaType is MediaTypes.ImageManifest or DockerManifest;
}
