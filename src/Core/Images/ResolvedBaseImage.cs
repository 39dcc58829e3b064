using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Images;

/// <summary>
/// An image read from a registry, an archive or an OCI layout (<see cref="BaseImageProvider"/>): its exact config and
/// manifest, its run settings and platform, and its checked layers, whose blobs are in the <see cref="BlobStore"/>
/// (lowest first). A recipe builds on it; as an <see cref="IImage"/>, any sink can write it as it is.
/// </summary>
/// <remarks>Layers pulled from a registry say where from (<see cref="Layer.PulledFrom"/>): a push to that registry mounts them.</remarks>
public sealed record ResolvedBaseImage : IImage
{
    public ResolvedBaseImage(BaseImage source, ImageConfig config, Platform platform, IReadOnlyList<Layer> layers,
        ReadOnlyMemory<byte> configBytes, ReadOnlyMemory<byte> manifestBytes, string manifestMediaType)
    {
        Source = source;
        Config = config;
        Platform = platform;
        Layers = layers;
        ConfigBytes = configBytes;
        ConfigDigest = Digest.Compute(configBytes.Span);
        ManifestBytes = manifestBytes;
        ManifestDigest = Digest.Compute(manifestBytes.Span);
        ManifestMediaType = manifestMediaType;
    }

    public BaseImage Source { get; init; }

    /// <summary>The run settings the config gives (inherited by a recipe built on it).</summary>
    public ImageConfig Config { get; init; }

    public Platform Platform { get; init; }

    public IReadOnlyList<Layer> Layers { get; init; }

    IReadOnlyList<ILayer> IImage.Layers => Layers;

    public ReadOnlyMemory<byte> ConfigBytes { get; }

    public Digest ConfigDigest { get; }

    /// <summary>The manifest as the registry or layout holds it; for an archive of <c>docker save</c>, an OCI manifest of its config and layers.</summary>
    public ReadOnlyMemory<byte> ManifestBytes { get; }

    public Digest ManifestDigest { get; }

    public string ManifestMediaType { get; }
}
