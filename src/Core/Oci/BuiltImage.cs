using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>
/// An image written by <see cref="ImageArchiveWriter"/>: one tar at <see cref="OutputPath"/> that is both an OCI
/// image layout and a <c>docker load</c> archive, plus the numbers and documents that describe it.
/// </summary>
public sealed record BuiltImage
{
    public required ImageReference Reference { get; init; }

    /// <summary>The digest of <see cref="ManifestBytes"/>: the image's identity in a registry.</summary>
    public required Digest ManifestDigest { get; init; }

    /// <summary>The digest of <see cref="ConfigBytes"/>: the image ID Docker shows.</summary>
    public required Digest ConfigDigest { get; init; }

    /// <summary>
    /// The layers, base first. Their blobs are in the archive at <c>blobs/sha256/&lt;hex&gt;</c>; when the writer made
    /// the layers itself, it has deleted the temporary files that <see cref="Layer.BlobPath"/> names.
    /// </summary>
    public required IReadOnlyList<Layer> Layers { get; init; }

    /// <summary>Sum of the compressed layer sizes, in bytes.</summary>
    public required long CompressedSize { get; init; }

    /// <summary>Sum of the sizes of the regular files in all layers, in bytes.</summary>
    public required long ContentSize { get; init; }

    /// <summary>Number of regular files in all layers.</summary>
    public required int FileCount { get; init; }

    /// <summary>Absolute path of the archive.</summary>
    public required string OutputPath { get; init; }

    /// <summary>Size of the archive file, in bytes.</summary>
    public required long ArchiveSize { get; init; }

    /// <summary>The exact bytes of the OCI manifest.</summary>
    public required ReadOnlyMemory<byte> ManifestBytes { get; init; }

    /// <summary>The exact bytes of the image config.</summary>
    public required ReadOnlyMemory<byte> ConfigBytes { get; init; }

    /// <summary>The registry a base image was pulled from (<c>127.0.0.1:5000</c>), or null; a push there mounts its layers.</summary>
    public string? BaseRegistry { get; init; }

    /// <summary>The repository a base image was pulled from, or null.</summary>
    public string? BaseRepository { get; init; }

    /// <summary>The exact bytes of <c>index.json</c>.</summary>
    public required ReadOnlyMemory<byte> IndexBytes { get; init; }

    /// <summary>
    /// Opens the archive for sequential reading, e.g. to stream it to the Docker daemon's image load endpoint.
    /// The caller disposes the stream.
    /// </summary>
    public Stream OpenArchive() =>
        new FileStream(OutputPath, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
}
