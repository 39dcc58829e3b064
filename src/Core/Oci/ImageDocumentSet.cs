using TinyImage.Core.Layers;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Oci;

/// <summary>The JSON documents of one image and their descriptors, as both image writers store them.</summary>
internal sealed record ImageDocumentSet(
    byte[] Config, Descriptor ConfigDescriptor, byte[] Manifest, Descriptor ManifestDescriptor, byte[] Index, byte[] DockerManifest)
{
    public static ImageDocumentSet Create(ImageConfig config, string architecture, IReadOnlyList<Layer> layers, ImageReference reference, DateTimeOffset created)
    {
        var configBytes = ImageDocuments.Config(config, architecture, [.. layers.Select(l => l.DiffId)], created);
        var configDescriptor = new Descriptor(MediaTypes.ImageConfig, Digest.Compute(configBytes), configBytes.Length);
        var manifestBytes = ImageDocuments.Manifest(configDescriptor, [.. layers.Select(l => l.ToDescriptor())]);
        var manifestDescriptor = new Descriptor(MediaTypes.ImageManifest, Digest.Compute(manifestBytes), manifestBytes.Length);
        var indexBytes = ImageDocuments.Index(manifestDescriptor, reference);
        var dockerManifestBytes = ImageDocuments.DockerManifest(configDescriptor.Digest, [.. layers.Select(l => l.Digest)], reference);
        return new ImageDocumentSet(configBytes, configDescriptor, manifestBytes, manifestDescriptor, indexBytes, dockerManifestBytes);
    }

    public BuiltImage ToBuiltImage(ImageReference reference, IReadOnlyList<Layer> layers, string outputPath, long outputSize) => new()
    {
        Reference = reference,
        ManifestDigest = ManifestDescriptor.Digest,
        ConfigDigest = ConfigDescriptor.Digest,
        Layers = [.. layers],
        CompressedSize = layers.Sum(l => l.Size),
        ContentSize = layers.Sum(l => l.ContentSize),
        FileCount = layers.Sum(l => l.FileCount),
        OutputPath = outputPath,
        ArchiveSize = outputSize,
        ManifestBytes = Manifest,
        ConfigBytes = Config,
        IndexBytes = Index,
    };
}
