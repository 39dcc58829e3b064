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
/// and checked once (<see cref="BaseLayerCheck"/>); its diff_id must be the one the config lists.
/// </summary>
public sealed class BaseImageProvider(BlobStore store, IBaseImageRegistry? registry = null, long? maxLayerSize = null)
{
    private const int MaxDocumentSize = 4 << 20;

    /// <summary>Opens <paramref name="image"/> for <paramref name="platform"/> (null: the only one it has, else the host's).</summary>
    public async Task<ResolvedBaseImage> OpenAsync(BaseImage image, Platform? platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Kind switch
        {
            BaseImageKind.Archive => await FromArchiveAsync(image, platform, cancellationToken).ConfigureAwait(false),
            BaseImageKind.Layout => await FromLayoutAsync(image, platform, cancellationToken).ConfigureAwait(false),
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
            if (BaseImageDocuments.IsIndex(manifest.MediaType, manifest.Bytes))
            {
                var chosen = BaseImageDocuments.PickPlatform(BaseImageDocuments.ReadIndex(manifest.Bytes, image.Location), wanted, image.Location);
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

    private async Task<ResolvedBaseImage> FromLayoutAsync(BaseImage image, Platform? platform, CancellationToken cancellationToken)
    {
        var directory = image.Location;
        if (!Directory.Exists(directory))
            throw new TinyImageException($"From.Layout: '{directory}' is not a directory; give an OCI image layout (one tinyrun --format oci-dir or skopeo copy oci: wrote)");
        Stream OpenBlob(Descriptor blob)
        {
            var path = Path.Combine(directory, ImageDocuments.BlobPath(blob.Digest));
            return UntrustedFiles.IsRegularFile(path) ? File.OpenRead(path)
                : throw new TinyImageException($"{directory}: the layout names {blob.Digest} but has no regular file {ImageDocuments.BlobPath(blob.Digest)}; it is incomplete");
        }
        async Task<byte[]> ReadDocument(Descriptor blob)
        {
            var bytes = await UntrustedFiles.ReadDocumentAsync(Path.Combine(directory, ImageDocuments.BlobPath(blob.Digest)), $"{directory}: {blob.Digest}", MaxDocumentSize, cancellationToken).ConfigureAwait(false);
            return Digest.Compute(bytes) == blob.Digest ? bytes
                : throw new TinyImageException($"{directory}: the blob {ImageDocuments.BlobPath(blob.Digest)} does not have the digest it is named by; the layout is damaged");
        }
        var index = await UntrustedFiles.ReadDocumentAsync(Path.Combine(directory, "index.json"), $"{directory}/index.json", MaxDocumentSize, cancellationToken).ConfigureAwait(false);
        var entries = BaseImageDocuments.ReadIndex(index, $"{directory}/index.json");
        if (entries.Count == 0) throw new TinyImageException($"{directory}/index.json lists no image");
        var (descriptor, _) = entries.Count == 1 ? entries[0] : (BaseImageDocuments.PickPlatform(entries, platform ?? Platform.Host(), directory), null);
        var manifest = await ReadDocument(descriptor).ConfigureAwait(false);
        if (BaseImageDocuments.IsIndex(descriptor.MediaType, manifest))
            manifest = await ReadDocument(BaseImageDocuments.PickPlatform(BaseImageDocuments.ReadIndex(manifest, directory), platform ?? Platform.Host(), directory)).ConfigureAwait(false);
        return await ResolveAsync(image, platform, (manifest, ManifestMediaType(manifest)), (blob, _) => Task.FromResult(OpenBlob(blob)), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ResolvedBaseImage> FromArchiveAsync(BaseImage image, Platform? platform, CancellationToken cancellationToken)
    {
        var images = ImageArchiveReader.Read(image.Location);
        if (images.Count != 1)
            throw new TinyImageException($"{image.Location}: holds {images.Count} images ({string.Join(", ", images.Select(i => i.Reference))}); From.Archive takes an archive of one");
        var archive = images[0];
        var configBytes = archive.ConfigBytes;
        var (config, imagePlatform, diffIds) = BaseImageDocuments.ReadConfig(configBytes, $"{image.Location}: the config");
        CheckPlatform(image, platform, imagePlatform);
        if (diffIds.Count != archive.Layers.Count)
            throw new TinyImageException($"{image.Location}: the config lists {diffIds.Count} layers but the archive has {archive.Layers.Count}; it is damaged");
        var layers = new List<Layer>();
        var check = new BaseLayerCheck(MaxLayerSize);
        for (var i = 0; i < archive.Layers.Count; i++)
        {
            var stored = archive.Layers[i];
            var what = $"layer {i + 1} of {image.Location}";
            Digest? known = Digest.TryParse(stored.Digest, out var parsed) ? parsed : null;
            Digest digest;
            long size;
            if (known is { } d && store.Contains(d, stored.StoredSize)) (digest, size) = (d, stored.StoredSize);
            else
            {
                using var source = archive.OpenStoredLayer(stored);
                (digest, size) = await store.AddAsync(source, known, stored.StoredSize, what, cancellationToken).ConfigureAwait(false);
            }
            layers.Add(new Layer
            {
                Digest = digest, DiffId = diffIds[i], Size = size, UncompressedSize = 0, MediaType = MediaTypeOf(store.PathOf(digest), stored.MediaType),
                BlobPath = store.PathOf(digest), FileCount = 0, EntryCount = 0, ContentSize = 0,
            });
        }
        var checkedLayers = await CheckAllAsync(image, layers, diffIds, check, cancellationToken).ConfigureAwait(false);
        // An archive of docker save has no OCI manifest (or one this reader does not keep): it gets one of its config and layers.
        var manifest = ImageDocuments.Manifest(new Descriptor(MediaTypes.ImageConfig, Digest.Compute(configBytes.Span), configBytes.Length), [.. checkedLayers.Select(l => l.ToDescriptor())]);
        return new ResolvedBaseImage(image, config, imagePlatform, checkedLayers, configBytes, manifest, MediaTypes.ImageManifest);
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
            case BaseImageDocuments.OciLayerTar or "application/vnd.docker.image.rootfs.diff.tar": return BaseImageDocuments.OciLayerTar;
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
