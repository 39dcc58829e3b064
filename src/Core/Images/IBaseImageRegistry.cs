using TinyImage.Core.Oci;

namespace TinyImage.Core.Images;

/// <summary>What <see cref="BaseImageProvider"/> needs of a registry to pull a base image.</summary>
public interface IBaseImageRegistry
{
    /// <summary>
    /// The manifest (or index) <paramref name="reference"/> names: its media type, bytes and digest, checked against the
    /// reference's digest when it has one. The registry's host and repository are returned for mounts.
    /// </summary>
    Task<(string MediaType, byte[] Bytes, Digest Digest, string Registry, string Repository)> GetManifestAsync(string reference, CancellationToken cancellationToken);

    /// <summary>Downloads a blob of <paramref name="reference"/>'s repository into <paramref name="store"/>, verified by its descriptor.</summary>
    Task DownloadBlobAsync(string reference, Descriptor blob, BlobStore store, CancellationToken cancellationToken);

    /// <summary>Whether an exception means the registry could not be reached at all (so a cached answer may stand in).</summary>
    bool IsUnreachable(Exception exception);
}
