using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>Somewhere an image can be written: an archive, an OCI layout directory, a Docker engine, a registry.</summary>
public interface IImageSink
{
    /// <summary>
    /// Writes <paramref name="image"/> under the name <paramref name="reference"/>; returns where it is now, for people
    /// (a path, <c>registry/repo@sha256:…</c>, the engine). A failed or cancelled write leaves what was there before.
    /// </summary>
    Task<string> WriteAsync(IImage image, ImageReference reference, CancellationToken cancellationToken);
}
