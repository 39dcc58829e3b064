namespace TinyImage.Core.Oci;

/// <summary>
/// An OCI image: the exact bytes of its manifest and config, and its layers (lowest first), whatever it was read from
/// or built by. Sinks (<see cref="IImageSink"/>) write one to an archive, a layout, an engine or a registry.
/// </summary>
public interface IImage
{
    /// <summary>The exact bytes of the image manifest.</summary>
    ReadOnlyMemory<byte> ManifestBytes { get; }

    /// <summary>The digest of <see cref="ManifestBytes"/>: the image's identity in a registry.</summary>
    Digest ManifestDigest { get; }

    /// <summary>The manifest's media type, e.g. <see cref="MediaTypes.ImageManifest"/>.</summary>
    string ManifestMediaType { get; }

    /// <summary>The exact bytes of the image config.</summary>
    ReadOnlyMemory<byte> ConfigBytes { get; }

    /// <summary>The digest of <see cref="ConfigBytes"/>: the image ID Docker shows.</summary>
    Digest ConfigDigest { get; }

    /// <summary>The layers, lowest first, as the manifest lists them.</summary>
    IReadOnlyList<ILayer> Layers { get; }
}
