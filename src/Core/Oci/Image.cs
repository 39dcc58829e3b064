using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>An <see cref="IImage"/> made from its run settings and finished layers: the config and manifest are made here.</summary>
public sealed class Image : IImage
{
    private Image(byte[] config, byte[] manifest, IReadOnlyList<ILayer> layers)
    {
        ConfigBytes = config;
        ConfigDigest = Digest.Compute(config);
        ManifestBytes = manifest;
        ManifestDigest = Digest.Compute(manifest);
        Layers = layers;
    }

    public ReadOnlyMemory<byte> ManifestBytes { get; }

    public Digest ManifestDigest { get; }

    public string ManifestMediaType => MediaTypes.ImageManifest;

    public ReadOnlyMemory<byte> ConfigBytes { get; }

    public Digest ConfigDigest { get; }

    public IReadOnlyList<ILayer> Layers { get; }

    /// <summary>The image of <paramref name="layers"/> (lowest first) with <paramref name="config"/>'s settings, dated <paramref name="created"/>.</summary>
    /// <param name="architecture">The OCI architecture, e.g. <c>amd64</c>.</param>
    public static Image Create(ImageConfig config, string architecture, IReadOnlyList<ILayer> layers, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var configBytes = ImageDocuments.Config(config, architecture, [.. layers.Select(l => l.DiffId)], created);
        var configDescriptor = new Descriptor(MediaTypes.ImageConfig, Digest.Compute(configBytes), configBytes.Length);
        var manifest = ImageDocuments.Manifest(configDescriptor, [.. layers.Select(l => new Descriptor(l.MediaType, l.Digest, l.Size))]);
        return new Image(configBytes, manifest, [.. layers]);
    }
}
