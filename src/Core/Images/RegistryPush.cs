using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;
using TinyImage.Core.Sinks;

namespace TinyImage.Core.Images;

/// <summary>
/// Pushes built images to a registry: every blob first (in parallel; what the repository holds is skipped, what
/// another repository of the same registry holds is mounted), the manifest last. Several platforms of one image go
/// up as manifests by digest, then an image index under the tag.
/// </summary>
public sealed class RegistryPush(RegistryClient client, int parallelUploads = 4)
{
    /// <summary>Pushes one image's blobs and manifest to <paramref name="target"/> (by tag, or by digest when <paramref name="byDigest"/>); returns the manifest's digest.</summary>
    /// <param name="mountFrom">Another repository of the same registry that may hold some of the blobs (a base image's), or null.</param>
    public async Task<Digest> PushAsync(BuiltImage image, RegistryReference target, CancellationToken cancellationToken, string? mountFrom = null, bool byDigest = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        var blobs = new List<RegistryBlob> { RegistryBlob.FromBytes(MediaTypes.ImageConfig, image.ConfigBytes) };
        foreach (var layer in image.Layers.DistinctBy(l => l.Digest))
            blobs.Add(RegistryBlob.FromFile(layer.ToDescriptor(), RequireBlob(layer)));
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = parallelUploads, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(blobs.OrderByDescending(b => b.Descriptor.Size), parallel,
            async (blob, token) => await client.PushBlobAsync(target, blob, token, mountFrom).ConfigureAwait(false)).ConfigureAwait(false);
        var reference = byDigest ? new RegistryReference(target.Registry, target.Repository, null, image.ManifestDigest) : target;
        return await client.PutManifestAsync(reference, MediaTypes.ImageManifest, image.ManifestBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pushes the images of several platforms by digest, then an index of them under <paramref name="target"/>'s tag; returns the index's digest.</summary>
    public async Task<Digest> PushIndexAsync(IReadOnlyList<(BuiltImage Image, Spec.Platform Platform)> images, RegistryReference target, CancellationToken cancellationToken, string? mountFrom = null)
    {
        foreach (var (image, _) in images)
            await PushAsync(image, target, cancellationToken, mountFrom, byDigest: true).ConfigureAwait(false);
        var index = ImageDocuments.PlatformIndex([.. images.Select(i => (new Descriptor(MediaTypes.ImageManifest, i.Image.ManifestDigest, i.Image.ManifestBytes.Length), i.Platform))]);
        return await client.PutManifestAsync(target, MediaTypes.ImageIndex, index, cancellationToken).ConfigureAwait(false);
    }

    private static string RequireBlob(Layer layer) =>
        File.Exists(layer.BlobPath) ? layer.BlobPath
            : throw new TinyImageException($"the blob of layer {layer.Digest} is gone from {layer.BlobPath} (a cache prune?); build again and push");
}
