using System.Text.Json;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;

namespace TinyImage.Core.Sources;

/// <summary>
/// Reads images from OCI layouts (a directory) and image archives (a tar): TinyImage's own, OCI archives
/// (<c>index.json</c>, indexes nested in it, <c>blobs/sha256/…</c>) and <c>docker save</c> output (<c>manifest.json</c>,
/// layers as plain or gzipped tars). <c>index.json</c> is read when there is one, so the exact manifests are kept. Blobs
/// are read in place, never copied into memory whole; documents are bounded and checked against the digest and size
/// that name them, and for the shape the reader relies on: damage is a <see cref="TinyImageException"/> naming the
/// document and the member.
/// </summary>
public static class ImageArchiveReader
{
    /// <summary>The most TinyImage's record of why each file is there may hold: it grows with the number of files.</summary>
    private const int MaxExplanationSize = 16 << 20;

    /// <summary>How deep indexes may nest in <c>index.json</c> (BuildKit writes one level).</summary>
    private const int MaxNesting = 4;

    /// <summary>The most images one layout or archive may hold.</summary>
    private const int MaxImages = 256;

    private const string ExplanationMember = ImageArchiveWriter.ExplanationMember;

    /// <summary>One manifest (or nested index) an index lists.</summary>
    private sealed record Entry(string? Name, Digest Digest, long? Size, string? MediaType, Platform? Platform);

    /// <summary>Each manifest of <c>index.json</c>: its <c>io.containerd.image.name</c> (or ref name) and digest.</summary>
    /// <exception cref="TinyImageException">The path is missing, is not a regular file or directory, or holds no valid OCI <c>index.json</c>.</exception>
    public static Task<IReadOnlyList<(string Name, Digest Manifest)>> ReadManifestsAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Task.Run<IReadOnlyList<(string, Digest)>>(() =>
        {
            var files = ImageFiles.Open(path);
            if (!files.Contains("index.json"))
                throw new TinyImageException($"'{path}' has no index.json: it is not an OCI image layout or archive; give one written by tinyrun");
            return [.. ReadIndex(files, "index.json", files.ReadDocument("index.json")).Select(e => (e.Name ?? "", e.Digest))];
        }, cancellationToken);
    }

    /// <summary>
    /// Every image of the layout or archive at <paramref name="path"/>: its config, manifest and layers, readable in
    /// place. An index that names platforms gives its image for <paramref name="platform"/>; without one, all of them.
    /// </summary>
    public static IReadOnlyList<ArchiveImage> Read(string path, Platform? platform = null)
    {
        var files = ImageFiles.Open(path);
        var reasons = ReadReasons(files);
        if (files.Contains("index.json")) return FromIndex(files, reasons, platform);
        if (files.Contains("manifest.json")) return FromDockerManifest(files, reasons);
        throw new TinyImageException($"{path}: not an image archive or layout (no manifest.json or index.json)");
    }

    private static List<ArchiveImage> FromDockerManifest(ImageFiles files, IReadOnlyDictionary<string, string> reasons)
    {
        using var manifest = Parse(files, "manifest.json", files.ReadDocument("manifest.json"));
        var images = new List<ArchiveImage>();
        foreach (var item in ArchiveJson.Root(manifest.RootElement, files.Path, "manifest.json").Items())
        {
            var configMember = item.Property("Config").String();
            var (config, configBytes) = ReadConfig(files, configMember, DigestFromPath(configMember), null);
            var tags = item.Property("RepoTags").Expect(JsonValueKind.Array, orNull: true);
            var reference = tags.IsMissingOrNull ? null : tags.Items().Select(tag => tag.String()).FirstOrDefault();
            var members = item.Property("Layers").Items().Select(l => l.String()).ToList();
            var diffIds = DiffIds(config, members.Count);
            var layers = members.Select((member, i) => new ArchiveLayer(files, member, DigestFromPath(member), diffIds?[i], null)).ToList();
            Add(images, files, new ArchiveImage(reference ?? "(untagged)", config, configBytes, layers, reasons, null, MediaTypes.ImageManifest));
        }
        return images;
    }

    private static List<ArchiveImage> FromIndex(ImageFiles files, IReadOnlyDictionary<string, string> reasons, Platform? platform)
    {
        var images = new List<ArchiveImage>();
        var index = ReadIndex(files, "index.json", files.ReadDocument("index.json"));
        foreach (var entry in Choose(index, platform, $"{files.Path}: index.json"))
            Expand(files, entry, entry.Name, platform, reasons, images, 1);
        return images;
    }

    /// <summary>Adds the image an index entry names, or the images of the index it names, for <paramref name="platform"/>.</summary>
    private static void Expand(ImageFiles files, Entry entry, string? name, Platform? platform, IReadOnlyDictionary<string, string> reasons, List<ArchiveImage> images, int depth)
    {
        var member = BlobMember(entry.Digest);
        var bytes = ReadBlob(files, member, entry.Digest, entry.Size);
        if (PlatformChoice.IsIndex(entry.MediaType, bytes))
        {
            if (depth >= MaxNesting)
                throw new TinyImageException($"{files.Describe(member)}: indexes nest more than {MaxNesting} deep; the archive is damaged or hostile");
            foreach (var child in Choose(ReadIndex(files, member, bytes), platform, files.Describe(member)))
                Expand(files, child, name, platform, reasons, images, depth + 1);
            return;
        }
        using var document = Parse(files, member, bytes);
        var manifest = ArchiveJson.Root(document.RootElement, files.Path, member).Expect(JsonValueKind.Object);
        var configDescriptor = manifest.Property("config");
        var configDigest = ReadDigest(configDescriptor.Property("digest"));
        var configSize = OptionalSize(configDescriptor);
        var layerDescriptors = manifest.Property("layers").Items().Select(l =>
            (Digest: ReadDigest(l.Property("digest")), Size: Size(l.Property("size")), MediaType: l.Property("mediaType").OptionalString())).ToList();
        var (config, configBytes) = ReadConfig(files, BlobMember(configDigest), configDigest, configSize);
        var diffIds = DiffIds(config, layerDescriptors.Count);
        var layers = new List<ArchiveLayer>();
        foreach (var (layer, i) in layerDescriptors.Select((l, i) => (l, i)))
        {
            var layerMember = BlobMember(layer.Digest);
            if (files.LengthOf(layerMember) != layer.Size)
                throw new TinyImageException($"{files.Describe(layerMember)} is {files.LengthOf(layerMember)} bytes, but {ArchiveJson.Display(member)} says {layer.Size}; the archive is damaged");
            layers.Add(new ArchiveLayer(files, layerMember, layer.Digest, diffIds?[i], layer.MediaType));
        }
        var mediaType = entry.MediaType ?? manifest.Property("mediaType").OptionalString() ?? MediaTypes.ImageManifest;
        Add(images, files, new ArchiveImage(Familiar(name) ?? "(untagged)", config, configBytes, layers, reasons, bytes, mediaType));
    }

    /// <summary>
    /// The entries of an index to read: those for <paramref name="platform"/> when it is given and the entries name
    /// platforms (one, chosen as a registry client would), else all of them but BuildKit's attestations.
    /// </summary>
    private static IEnumerable<Entry> Choose(IReadOnlyList<Entry> index, Platform? platform, string source)
    {
        var images = index.Where(e => e.Platform is null || PlatformChoice.IsImage(e.Platform)).ToList();
        if (platform is null || images.Count <= 1 || images.All(e => e.Platform is null)) return images;
        return [PlatformChoice.Pick([.. images.Select(e => (e, e.Platform))], platform, source)];
    }

    private static void Add(List<ArchiveImage> images, ImageFiles files, ArchiveImage image)
    {
        if (images.Count == MaxImages)
            throw new TinyImageException($"{files.Path}: holds more than {MaxImages} images; give a layout or archive of fewer");
        images.Add(image);
    }

    /// <summary>The manifests an index lists: digest (required), size, media type, platform and name, each checked for its type.</summary>
    private static List<Entry> ReadIndex(ImageFiles files, string member, byte[] bytes)
    {
        using var document = Parse(files, member, bytes);
        var entries = new List<Entry>();
        foreach (var manifest in ArchiveJson.Root(document.RootElement, files.Path, member).Property("manifests").Items())
        {
            var annotations = manifest.Property("annotations").Expect(JsonValueKind.Object, orNull: true);
            var name = annotations.IsMissingOrNull ? null
                : annotations.Property(ImageDocuments.ContainerdNameAnnotation).OptionalString() ?? annotations.Property(ImageDocuments.RefNameAnnotation).OptionalString();
            var digest = ReadDigest(manifest.Property("digest"));
            var platform = manifest.Property("platform").Expect(JsonValueKind.Object, orNull: true);
            entries.Add(new Entry(name, digest, OptionalSize(manifest), manifest.Property("mediaType").OptionalString(), platform.IsMissingOrNull ? null
                : new Platform(platform.Property("os").String(), platform.Property("architecture").String(), platform.Property("variant").OptionalString())));
        }
        return entries;
    }

    /// <summary>A document named by its digest: read within the limit, and checked to have that digest and the size its descriptor gives.</summary>
    private static byte[] ReadBlob(ImageFiles files, string member, Digest digest, long? size)
    {
        var bytes = files.ReadDocument(member);
        if (size is { } expected && expected != bytes.Length)
            throw new TinyImageException($"{files.Describe(member)} is {bytes.Length} bytes, but its descriptor says {expected}; the archive is damaged");
        if (Digest.Compute(bytes) != digest)
            throw new TinyImageException($"{files.Describe(member)} does not have the digest it is named by; the archive is damaged");
        return bytes;
    }

    /// <summary>The image config, checked for the shape of what is shown of it: strings, string arrays, objects.</summary>
    private static (JsonElement Element, byte[] Bytes) ReadConfig(ImageFiles files, string member, Digest? digest, long? size)
    {
        var bytes = digest is { } named ? ReadBlob(files, member, named, size) : files.ReadDocument(member);
        using var document = Parse(files, member, bytes);
        var config = ArchiveJson.Root(document.RootElement, files.Path, member).Expect(JsonValueKind.Object);
        foreach (var name in new[] { "os", "architecture", "created" }) config.Property(name).OptionalString();
        var run = config.Property("config").Expect(JsonValueKind.Object, orNull: true);
        if (!run.IsMissingOrNull)
        {
            foreach (var name in new[] { "Entrypoint", "Cmd", "Env" })
                if (!run.Property(name).Expect(JsonValueKind.Array, orNull: true).IsMissingOrNull)
                    foreach (var item in run.Property(name).Items()) item.String();
            foreach (var name in new[] { "WorkingDir", "User" }) run.Property(name).OptionalString();
            if (!run.Property("ExposedPorts").Expect(JsonValueKind.Object, orNull: true).IsMissingOrNull)
                run.Property("ExposedPorts").Properties();
            if (!run.Property("Labels").Expect(JsonValueKind.Object, orNull: true).IsMissingOrNull)
                foreach (var (_, value) in run.Property("Labels").Properties()) value.String();
        }
        return (document.RootElement.Clone(), bytes);
    }

    /// <summary>The config's <c>rootfs.diff_ids</c> when it lists one valid digest per layer; else null (inspect shows such images too).</summary>
    private static Digest[]? DiffIds(JsonElement config, int layers)
    {
        if (!config.TryGetProperty("rootfs", out var rootfs) || rootfs.ValueKind != JsonValueKind.Object
            || !rootfs.TryGetProperty("diff_ids", out var ids) || ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() != layers)
            return null;
        var digests = new Digest[layers];
        var i = 0;
        foreach (var id in ids.EnumerateArray())
        {
            if (id.ValueKind != JsonValueKind.String || !Digest.TryParse(TryGetString(id), out digests[i++])) return null;
        }
        return digests;
    }

    private static string? TryGetString(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // not valid UTF-8
        }
    }

    /// <summary>TinyImage's record of why each file is there (<c>[{"path":…,"reason":…}]</c>), or nothing when the archive has none.</summary>
    private static IReadOnlyDictionary<string, string> ReadReasons(ImageFiles files)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!files.Contains(ExplanationMember)) return reasons;
        using var document = Parse(files, ExplanationMember, files.ReadDocument(ExplanationMember, MaxExplanationSize));
        foreach (var item in ArchiveJson.Root(document.RootElement, files.Path, ExplanationMember).Items())
            reasons[item.Property("path").String()] = item.Property("reason").String();
        return reasons;
    }

    private static JsonDocument Parse(ImageFiles files, string member, byte[] bytes)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new TinyImageException($"{files.Describe(member)} is not valid JSON ({ArchiveText.Printable(e.Message)}); the archive is damaged", e);
        }
    }

    private static Digest ReadDigest(ArchiveJson value) =>
        Digest.TryParse(value.String(), out var digest) ? digest : throw value.Error("a digest sha256:<64 hex digits>");

    private static long Size(ArchiveJson value) =>
        value.WholeNumber() is var size and >= 0 ? size : throw value.Error("a size of at least 0");

    private static long? OptionalSize(ArchiveJson descriptor) =>
        descriptor.Property("size").IsMissingOrNull ? null : Size(descriptor.Property("size"));

    /// <summary>Where the blob of <paramref name="digest"/> is: <c>blobs/sha256/HEX</c>.</summary>
    private static string BlobMember(Digest digest) => ImageDocuments.BlobPath(digest);

    private static Digest? DigestFromPath(string member) =>
        member.StartsWith("blobs/sha256/", StringComparison.Ordinal) && Digest.TryParse("sha256:" + member["blobs/sha256/".Length..], out var digest) ? digest : null;

    /// <summary>A name as Docker shows it: <c>docker.io/library/</c> left out.</summary>
    private static string? Familiar(string? name) =>
        name?.StartsWith("docker.io/library/", StringComparison.Ordinal) == true ? name["docker.io/library/".Length..] : name;
}
