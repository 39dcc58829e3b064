using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Images;

/// <summary>
/// Pushes images to a registry: every blob first (in parallel; what the repository holds is skipped, a layer pulled
/// from another repository of the same registry is mounted from there), the manifest last. Several platforms of one
/// image go up as manifests by digest, then an image index under the tag.
/// </summary>
public sealed class RegistryPush(RegistryClient client, int parallelUploads = 4) : IImageSink
{
    /// <summary>The answers to "which manifest does this tag name?" asked before the image was built (<see cref="AskEarly"/>), by tag.</summary>
    private readonly Dictionary<string, Task<Digest?>> _early = new(StringComparer.Ordinal);

    /// <summary>
    /// Asks now, while the image is being built, which manifest the tag <paramref name="reference"/> names: the one
    /// question a push of an unchanged image asks. Its answer (or failure) is taken by the push of that tag; the HTTP
    /// client starts on the other core meanwhile.
    /// </summary>
    public void AskEarly(ImageReference reference, CancellationToken cancellationToken)
    {
        var target = Target(reference);
        if (target.Digest is null && !_early.ContainsKey(target.ToString()))
            _early[target.ToString()] = Task.Run(() => client.HeadManifestAsync(target, cancellationToken), CancellationToken.None);
    }

    /// <summary>Pushes <paramref name="image"/> to the registry and repository <paramref name="reference"/> names; returns <c>NAME@sha256:…</c>.</summary>
    public async Task<string> WriteAsync(IImage image, ImageReference reference, CancellationToken cancellationToken)
    {
        var target = Target(reference);
        return $"{target.Name}@{await PushAsync(image, target, cancellationToken).ConfigureAwait(false)}";
    }

    /// <summary>Where <paramref name="reference"/> says to push: its registry and repository.</summary>
    /// <exception cref="TinyImageException">The name has no registry part.</exception>
    public static RegistryReference Target(ImageReference reference) =>
        RegistryReference.TryParse(reference.ToString(), out var target) ? target
            : throw new TinyImageException($"cannot push {reference}: not a registry name; tag it REGISTRY/REPOSITORY:TAG, e.g. --tag 127.0.0.1:5000/app:1");

    /// <summary>Pushes one image's blobs and manifest to <paramref name="target"/> (by tag, or by digest when <paramref name="byDigest"/>); returns the manifest's digest.</summary>
    public async Task<Digest> PushAsync(IImage image, RegistryReference target, CancellationToken cancellationToken, bool byDigest = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        // The tag names this image already: the registry holds its manifest, hence every blob it names. One request.
        if (!byDigest && target.Digest is null && await TagsManifestAsync(target, image.ManifestDigest, cancellationToken).ConfigureAwait(false))
            return image.ManifestDigest;
        var blobs = new List<(RegistryBlob Blob, string? MountFrom)> { (RegistryBlob.FromBytes(MediaTypes.ImageConfig, image.ConfigBytes), null) };
        foreach (var layer in image.Layers.DistinctBy(l => l.Digest))
            blobs.Add((new RegistryBlob(new Descriptor(layer.MediaType, layer.Digest, layer.Size), _ => Task.FromResult(layer.OpenCompressed())), MountSource(layer, target)));
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = parallelUploads, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(blobs.OrderByDescending(b => b.Blob.Descriptor.Size), parallel,
            async (blob, token) => await client.PushBlobAsync(target, blob.Blob, token, blob.MountFrom).ConfigureAwait(false)).ConfigureAwait(false);
        var reference = byDigest ? new RegistryReference(target.Registry, target.Repository, null, image.ManifestDigest) : target;
        return await client.PutManifestAsync(reference, image.ManifestMediaType, image.ManifestBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the tag <paramref name="target"/> names <paramref name="manifest"/>: asked now, unless an early answer
    /// says it does not; an early yes is asked again, as the tag may have moved while the image was built.
    /// </summary>
    private async Task<bool> TagsManifestAsync(RegistryReference target, Digest manifest, CancellationToken cancellationToken) =>
        (!_early.Remove(target.ToString(), out var early) || await early.ConfigureAwait(false) == manifest)
        && await client.HeadManifestAsync(target, cancellationToken).ConfigureAwait(false) == manifest;

    /// <summary>Pushes the images of several platforms by digest, then an index of them under <paramref name="target"/>'s tag; returns the index's digest.</summary>
    public async Task<Digest> PushIndexAsync(IReadOnlyList<(IImage Image, Platform Platform)> images, RegistryReference target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        foreach (var (image, _) in images)
            await PushAsync(image, target, cancellationToken, byDigest: true).ConfigureAwait(false);
        var index = ImageDocuments.PlatformIndex([.. images.Select(i => (new Descriptor(i.Image.ManifestMediaType, i.Image.ManifestDigest, i.Image.ManifestBytes.Length), i.Platform))]);
        return await client.PutManifestAsync(target, MediaTypes.ImageIndex, index, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The repository of <paramref name="target"/>'s registry a layer was pulled from, when it is another one; null otherwise.</summary>
    private static string? MountSource(ILayer layer, RegistryReference target) =>
        layer is Layer { PulledFrom: { } from } && from.Registry == target.Registry && from.Repository != target.Repository ? from.Repository : null;
}
