using System.Text;
using TinyImage.Core.Oci;
using TinyImage.Core.Registry;

namespace TinyImage.Tests.Registry;

/// <summary>An image to push in tests: a valid config, layers of noise (registries do not look inside layers), and its OCI manifest.</summary>
public sealed record TestImage(RegistryBlob Config, IReadOnlyList<RegistryBlob> Layers, byte[] Manifest)
{
    public Digest Digest => Digest.Compute(Manifest);

    public IEnumerable<RegistryBlob> Blobs => [.. Layers, Config];

    /// <summary>Layers of <paramref name="layerSizes"/> bytes of noise from <paramref name="seed"/>, in memory.</summary>
    public static TestImage Create(int seed, params int[] layerSizes) =>
        From(seed, layerSizes.Select((size, i) => NoiseStream.Blob(seed * 100 + i, size)).ToList());

    /// <summary>An image of the given layers and a config naming them.</summary>
    public static TestImage From(int seed, IReadOnlyList<RegistryBlob> layers)
    {
        var diffIds = string.Join(",", layers.Select(l => $"\"{l.Descriptor.Digest}\""));
        var config = RegistryBlob.FromBytes(MediaTypes.ImageConfig, Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","config":{"Env":["SEED={{{seed}}}"]},"rootfs":{"type":"layers","diff_ids":[{{{diffIds}}}]}}"""));
        var manifest = ImageDocuments.Manifest(config.Descriptor, [.. layers.Select(l => l.Descriptor)]);
        return new TestImage(config, layers, manifest);
    }

    /// <summary>Pushes the blobs, then the manifest under <paramref name="reference"/>; returns the digest the client reports.</summary>
    public async Task<(Digest Digest, IReadOnlyList<BlobPushResult> Blobs)> PushAsync(RegistryClient client, RegistryReference reference, string? mountFrom = null)
    {
        var results = new List<BlobPushResult>();
        foreach (var blob in Blobs)
            results.Add(await client.PushBlobAsync(reference, blob, CancellationToken.None, mountFrom));
        return (await client.PutManifestAsync(reference, MediaTypes.ImageManifest, Manifest, CancellationToken.None), results);
    }
}
