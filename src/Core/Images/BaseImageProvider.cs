using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Sources;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Images;

/// <summary>
/// Opens the base images recipes build on: from a registry (pulled once, by digest, into the <see cref="BlobStore"/>;
/// offline, the last answer for a tag stands in), an image archive or an OCI layout. Every layer is verified by digest
/// and checked once (<see cref="BaseLayerCheck"/>); its diff_id must be the one the config lists. <paramref name="warn"/>
/// is told when a tag's last answer stands in for the registry's.
/// </summary>
public sealed class BaseImageProvider(BlobStore store, IBaseImageRegistry? registry = null, long? maxLayerSize = null, Action<string>? warn = null)
{
    private const int MaxDocumentSize = 4 << 20;

    /// <summary>The tags whose last pulled manifest stood in for an unreachable registry, so each is warned of once.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _warnedOffline = new(StringComparer.Ordinal);

    /// <summary>Opens <paramref name="image"/> for <paramref name="platform"/> (null: the only one it has, else the host's).</summary>
    public async Task<ResolvedBaseImage> OpenAsync(BaseImage image, Platform? platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Kind switch
        {
            BaseImageKind.Archive or BaseImageKind.Layout => await FromFilesAsync(image, platform, cancellationToken).ConfigureAwait(false),
            _ => await FromRegistryAsync(image, platform, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>The file system of <paramref name="image"/> for <paramref name="platform"/>, unpacked once into the store's <c>roots/</c>.</summary>
    public async Task<string> OpenRootAsync(BaseImage image, Platform? platform, CancellationToken cancellationToken)
    {
        var resolved = await OpenAsync(image, platform, cancellationToken).ConfigureAwait(false);
        return await ImageRoot.MaterializeAsync(resolved, Path.Combine(store.Directory, "roots"), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ResolvedBaseImage> FromRegistryAsync(BaseImage image, Platform? platform, CancellationToken cancellationToken)
    {
        if (registry is null) throw new TinyImageException($"From.Image(\"{image.Location}\") needs a registry client; this build has none");
        var wanted = platform ?? Platform.Host();
        // A reference by digest names the same bytes for ever: once they are in the store, no registry is asked.
        if (image.Location.Contains('@') && store.ReadReference(image.Location, wanted.ToString()) is { } pinned
            && store.ReadDocument(pinned, MaxDocumentSize) is { } stored && HasAll(stored, image.Location))
            return await FromStoreAsync(image, platform, stored, "pulled by digest before", cancellationToken).ConfigureAwait(false);
        (string MediaType, byte[] Bytes, Digest Digest, string Registry, string Repository) manifest;
        try
        {
            manifest = await registry.GetManifestAsync(image.Location, cancellationToken).ConfigureAwait(false);
            if (PlatformChoice.IsIndex(manifest.MediaType, manifest.Bytes))
            {
                var chosen = PlatformChoice.Pick(BaseImageDocuments.ReadIndex(manifest.Bytes, image.Location), wanted, image.Location);
                var reference = image.Location.Split('@')[0] + "@" + chosen.Digest;
                var (mediaType, bytes, digest, host, repository) = await registry.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
                manifest = (mediaType, bytes, digest, host, repository);
            }
            await store.AddAsync(manifest.Bytes, $"the manifest of {image.Location}", cancellationToken).ConfigureAwait(false);
            store.WriteReference(image.Location, wanted.ToString(), manifest.Digest);
        }
        catch (Exception e) when (registry.IsUnreachable(e) && store.ReadReference(image.Location, wanted.ToString()) is { } cached
                                   && store.ReadDocument(cached, MaxDocumentSize) is { } bytes)
        {
            // Offline: the manifest this tag named when it was last pulled, whose blobs the store holds.
            if (_warnedOffline.TryAdd(image.Location, true))
                warn?.Invoke($"{image.Location}: the registry cannot be reached ({e.Message}); building on the image this tag named when it was last pulled ({cached})");
            return await FromStoreAsync(image, platform, bytes, $"the registry cannot be reached ({e.Message})", cancellationToken).ConfigureAwait(false);
        }
        return await ResolveAsync(image, platform, (manifest.Bytes, manifest.MediaType), async (blob, token) =>
        {
            if (!store.Contains(blob.Digest, blob.Size)) await registry.DownloadBlobAsync(image.Location, blob, store, token).ConfigureAwait(false);
            return File.OpenRead(store.PathOf(blob.Digest));
        }, cancellationToken, manifest.Registry, manifest.Repository).ConfigureAwait(false);
    }

    /// <summary>Whether the store holds the config and every layer <paramref name="manifest"/> names.</summary>
    private bool HasAll(byte[] manifest, string source)
    {
        var (config, layers) = BaseImageDocuments.ReadManifest(manifest, source);
        return store.Contains(config.Digest, config.Size) && layers.All(l => store.Contains(l.Digest, l.Size));
    }

    /// <summary>The image a stored manifest describes, from the store alone (<paramref name="why"/> says why no registry is asked).</summary>
    private async Task<ResolvedBaseImage> FromStoreAsync(BaseImage image, Platform? platform, byte[] manifest, string why, CancellationToken cancellationToken)
    {
        var where = ParseRegistry(image.Location);
        return await ResolveAsync(image, platform, (manifest, ManifestMediaType(manifest)), (blob, _) =>
            Task.FromResult<Stream>(store.Contains(blob.Digest, blob.Size) ? File.OpenRead(store.PathOf(blob.Digest))
                : throw new TinyImageException($"{image.Location}: {why}, and the cache lacks {blob.Digest}; start the registry or check the network")),
            cancellationToken, where.Registry, where.Repository).ConfigureAwait(false);
    }

    /// <summary>The media type a manifest names itself by; an OCI manifest when it names none (the field is optional there).</summary>
    private static string ManifestMediaType(byte[] manifest)
    {
        try
        {
            using var document = JsonDocument.Parse(manifest);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("mediaType", out var type)
                   && type.ValueKind == JsonValueKind.String && type.GetString() is { Length: > 0 } named ? named : MediaTypes.ImageManifest;
        }
        catch (JsonException)
        {
            return MediaTypes.ImageManifest; // ReadManifest has already refused a manifest that is not JSON
        }
    }

    private static (string? Registry, string? Repository) ParseRegistry(string reference)
    {
        var name = reference.Split('@')[0];
        var slash = name.IndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/')) name = name[..colon];
        return slash < 0 ? (null, null) : (name[..slash], name[(slash + 1)..]);
    }

    /// <summary>
    /// The image of an OCI layout or an image archive (ours, <c>docker save</c>, OCI), read by <see cref="ImageArchiveReader"/>:
    /// its exact manifest, or for <c>docker save</c> an OCI manifest of its config and layers.
    /// </summary>
    private async Task<ResolvedBaseImage> FromFilesAsync(BaseImage image, Platform? platform, CancellationToken cancellationToken)
    {
        if (image.Kind == BaseImageKind.Layout && !Directory.Exists(image.Location))
            throw new TinyImageException($"From.Layout: '{image.Location}' is not a directory; give an OCI image layout (one tinyrun --format oci-dir or skopeo copy oci: wrote)");
        var images = ImageArchiveReader.Read(image.Location, platform ?? Platform.Host());
        if (images.Count != 1)
            throw new TinyImageException(images.Count == 0 ? $"{image.Location}: holds no image; give one that holds the base image"
                : $"{image.Location}: holds {images.Count} images ({string.Join(", ", images.Select(i => i.Reference))}); From.{image.Kind} needs a layout or archive of one image");
        var found = images[0];
        return await ResolveAsync(image, platform, (found.ManifestBytes.ToArray(), found.ManifestMediaType), (blob, _) => Task.FromResult(
            blob.Digest == found.ConfigDigest ? new MemoryStream(found.ConfigBytes.ToArray(), writable: false)
            : found.Layers.FirstOrDefault(l => l.Digest == blob.Digest)?.OpenCompressed()
              ?? throw new TinyImageException($"{image.Location}: the manifest names {blob.Digest}, which is not one of its layers; it is damaged")),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fetches the config and layers a manifest names into the store, then checks them.</summary>
    private async Task<ResolvedBaseImage> ResolveAsync(BaseImage image, Platform? platform, (byte[] Bytes, string MediaType) manifest,
        Func<Descriptor, CancellationToken, Task<Stream>> open, CancellationToken cancellationToken, string? registryHost = null, string? repository = null)
    {
        var (configDescriptor, layerDescriptors) = BaseImageDocuments.ReadManifest(manifest.Bytes, image.Location);
        if (configDescriptor.Size > MaxDocumentSize)
            throw new TinyImageException($"{image.Location}: the config is {configDescriptor.Size} bytes, more than an image config may hold");
        byte[] configBytes;
        if (store.ReadDocument(configDescriptor.Digest, MaxDocumentSize) is { } cached) configBytes = cached;
        else
        {
            using (var source = await open(configDescriptor, cancellationToken).ConfigureAwait(false))
                await store.AddAsync(source, configDescriptor.Digest, configDescriptor.Size, $"the config of {image.Location}", cancellationToken).ConfigureAwait(false);
            configBytes = store.ReadDocument(configDescriptor.Digest, MaxDocumentSize)!;
        }
        var (config, imagePlatform, diffIds) = BaseImageDocuments.ReadConfig(configBytes, $"{image.Location}: the config");
        CheckPlatform(image, platform, imagePlatform);
        if (diffIds.Count != layerDescriptors.Count)
            throw new TinyImageException($"{image.Location}: the config lists {diffIds.Count} layers but the manifest {layerDescriptors.Count}; the image is damaged");
        var layers = new List<Layer>();
        for (var i = 0; i < layerDescriptors.Count; i++)
        {
            var blob = layerDescriptors[i];
            if (!store.Contains(blob.Digest, blob.Size))
            {
                using var source = await open(blob, cancellationToken).ConfigureAwait(false);
                if (!store.Contains(blob.Digest, blob.Size))
                    await store.AddAsync(source, blob.Digest, blob.Size, $"layer {blob.Digest} of {image.Location}", cancellationToken).ConfigureAwait(false);
            }
            layers.Add(new Layer
            {
                Digest = blob.Digest, DiffId = diffIds[i], Size = blob.Size, UncompressedSize = 0, MediaType = MediaTypeOf(store.PathOf(blob.Digest), blob.MediaType),
                BlobPath = store.PathOf(blob.Digest), FileCount = 0, EntryCount = 0, ContentSize = 0,
            });
        }
        var checkedLayers = await CheckAllAsync(image, layers, diffIds, new BaseLayerCheck(MaxLayerSize), cancellationToken).ConfigureAwait(false);
        if (registryHost is not null && repository is not null)
            checkedLayers = [.. checkedLayers.Select(l => l with { PulledFrom = (registryHost, repository) })];
        return new ResolvedBaseImage(image, config, imagePlatform, checkedLayers, configBytes, manifest.Bytes, manifest.MediaType);
    }

    private long MaxLayerSize => maxLayerSize ?? BaseLayerCheck.MaxUncompressedSizeFromEnvironment();

    /// <summary>
    /// Checks the layers in order (once: the facts are kept in the store, keyed by the layers' digests, which the store
    /// has verified) and fills in their sizes and counts; each diff_id must be the config's.
    /// </summary>
    private async Task<IReadOnlyList<Layer>> CheckAllAsync(BaseImage image, List<Layer> layers, IReadOnlyList<Digest> diffIds, BaseLayerCheck check, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', layers.Select(l => l.Digest.ToString())))));
        var factsPath = Path.Combine(store.Directory, "checked", key);
        var facts = ReadFacts(factsPath, layers.Count);
        if (facts is null)
        {
            facts = [];
            for (var i = 0; i < layers.Count; i++)
                facts.Add(await check.CheckAsync(layers[i].BlobPath, $"layer {i + 1} ({layers[i].Digest}) of {image}", cancellationToken).ConfigureAwait(false));
            WriteFacts(factsPath, facts);
        }
        var result = new List<Layer>();
        for (var i = 0; i < layers.Count; i++)
        {
            if (facts[i].DiffId != diffIds[i])
                throw new TinyImageException($"{image}: layer {i + 1} ({layers[i].Digest}) unpacks to {facts[i].DiffId}, but the config says {diffIds[i]}; the image is damaged");
            result.Add(layers[i] with
            {
                UncompressedSize = facts[i].UncompressedSize, FileCount = facts[i].FileCount, EntryCount = facts[i].EntryCount, ContentSize = facts[i].ContentSize,
            });
        }
        return result;
    }

    private static List<LayerFacts>? ReadFacts(string path, int count)
    {
        if (!File.Exists(path)) return null;
        var facts = new List<LayerFacts>();
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ');
            if (parts.Length != 5 || !Digest.TryParse(parts[0], out var diffId) || !long.TryParse(parts[1], out var size) || !int.TryParse(parts[2], out var files)
                || !int.TryParse(parts[3], out var entries) || !long.TryParse(parts[4], out var content)) return null;
            facts.Add(new LayerFacts(diffId, size, files, entries, content));
        }
        return facts.Count == count ? facts : null;
    }

    private static void WriteFacts(string path, IReadOnlyList<LayerFacts> facts)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Path.GetRandomFileName() + ".tmp";
        File.WriteAllLines(temp, facts.Select(f => $"{f.DiffId} {f.UncompressedSize} {f.FileCount} {f.EntryCount} {f.ContentSize}"));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The OCI media type for a layer: from its descriptor when it has one (Docker's names mapped to OCI's), else from its first bytes.</summary>
    private static string MediaTypeOf(string blobPath, string? described)
    {
        switch (described)
        {
            case MediaTypes.LayerGzip or BaseImageDocuments.DockerLayerGzip: return MediaTypes.LayerGzip;
            case MediaTypes.LayerZstd or "application/vnd.docker.image.rootfs.diff.tar.zstd": return MediaTypes.LayerZstd;
            case MediaTypes.LayerTar or "application/vnd.docker.image.rootfs.diff.tar": return MediaTypes.LayerTar;
        }
        return LayerBlob.MediaTypeOf(blobPath);
    }

    private static void CheckPlatform(BaseImage image, Platform? wanted, Platform found)
    {
        if (wanted is null || (wanted.Os == found.Os && wanted.Architecture == found.Architecture && (wanted.Variant is null || found.Variant is null || wanted.Variant == found.Variant)))
            return;
        throw new TinyImageException($"{image} is an image for {found}, not {wanted}; build for {found} (--platform {found}) or use a base image for {wanted}");
    }
}
