using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TinyImage.Core.Sources;

/// <summary>
/// Reads image archives: TinyImage's own, <c>docker save</c> output (with <c>manifest.json</c>, layers
/// as plain or gzipped tars) and OCI archives (with <c>index.json</c>). The archive is scanned once for
/// member offsets; blobs are then read in place, never copied into memory whole. Every document is checked for the
/// shape the reader relies on: damage is a <see cref="TinyImageException"/> naming the document and the member.
/// <see cref="ReadManifestsAsync"/> reads only the <c>index.json</c> of an archive or OCI layout directory (what
/// <c>tinyrun verify</c> compares).
/// </summary>
public static partial class ImageArchiveReader
{
    /// <summary>The most TinyImage's record of why each file is there may hold: it grows with the number of files.</summary>
    private const int MaxExplanationSize = 16 << 20;
    private const string ExplanationMember = Oci.ImageArchiveWriter.ExplanationMember;

    /// <summary>Each manifest of <c>index.json</c>: its <c>io.containerd.image.name</c> (or ref name) and digest.</summary>
    /// <exception cref="TinyImageException">The path is missing, is not a regular file or directory, or holds no valid OCI <c>index.json</c>.</exception>
    public static async Task<IReadOnlyList<(string Name, Oci.Digest Manifest)>> ReadManifestsAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var index = Directory.Exists(path)
            ? await ReadFromDirectoryAsync(path, cancellationToken).ConfigureAwait(false)
            : await ReadFromTarAsync(path, cancellationToken).ConfigureAwait(false);
        if (index is null)
            throw new TinyImageException($"'{path}' has no index.json: it is not an OCI image layout or archive; give one written by tinyrun");
        try
        {
            using var json = JsonDocument.Parse(index);
            var result = new List<(string, Oci.Digest)>();
            foreach (var manifest in ArchiveJson.Root(json.RootElement, path, "index.json").Property("manifests").Items())
            {
                var annotations = manifest.Property("annotations").Expect(JsonValueKind.Object, orNull: true);
                var name = annotations.IsMissingOrNull ? null
                    : annotations.Property(Oci.ImageDocuments.ContainerdNameAnnotation).OptionalString() ?? annotations.Property(Oci.ImageDocuments.RefNameAnnotation).OptionalString();
                var digest = manifest.Property("digest");
                result.Add((name ?? "", Oci.Digest.TryParse(digest.String(), out var parsed) ? parsed : throw digest.Error("a sha256 digest")));
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new TinyImageException($"the index.json of '{path}' is not valid JSON: {ArchiveText.Printable(e.Message)}", e);
        }
    }

    private static async Task<byte[]?> ReadFromDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        var file = Path.Combine(path, "index.json");
        if (!Path.Exists(file)) return null;
        return await UntrustedFiles.ReadDocumentAsync(file, $"'{file}'", UntrustedFiles.MaxDocumentSize, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]?> ReadFromTarAsync(string path, CancellationToken cancellationToken)
    {
        if (!UntrustedFiles.IsRegularFile(path))
            throw new TinyImageException($"'{path}' is not a regular file or a directory; give an image tar or OCI layout directory written by tinyrun");
        try
        {
            var stream = new BoundedTarStream(File.OpenRead(path), BoundedTarStream.DefaultMaxMetadataSize);
            await using (stream.ConfigureAwait(false))
            {
                var reader = new TarReader(stream);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                    {
                        if (entry.Name is not ("index.json" or "./index.json") || entry.DataStream is null) continue;
                        var name = $"the index.json of '{path}'";
                        if (entry.Length > UntrustedFiles.MaxDocumentSize) throw UntrustedFiles.TooLarge(name, UntrustedFiles.MaxDocumentSize);
                        return await UntrustedFiles.ReadBoundedAsync(entry.DataStream, name, UntrustedFiles.MaxDocumentSize, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            return null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException || ArchiveText.IsTarDamage(e))
        {
            throw new TinyImageException($"cannot read the image '{path}': {ArchiveText.Printable(e.Message)}; give an image tar or OCI layout directory written by tinyrun", e);
        }
    }

    /// <summary>Every image of the archive at <paramref name="path"/>: its config and layers, readable in place.</summary>
    public static IReadOnlyList<ArchiveImage> Read(string path)
    {
        if (Directory.Exists(path))
            throw new TinyImageException($"{path}: is a directory; give an image archive (.tar) written by tinyrun, docker save or skopeo");
        if (!File.Exists(path))
            throw new TinyImageException($"{path}: no such file");
        if (!UntrustedFiles.IsRegularFile(path))
            throw new TinyImageException($"{path}: not a regular file; give an image archive (.tar) written by tinyrun, docker save or skopeo");
        var members = Scan(path);
        try
        {
            return members.ContainsKey("manifest.json") ? FromDockerManifest(path, members) : FromOciIndex(path, members);
        }
        catch (IOException e)
        {
            throw new TinyImageException($"{path}: cannot read it ({ArchiveText.Printable(e.Message)})", e);
        }
    }

    private static Dictionary<string, (long Offset, long Length)> Scan(string path)
    {
        var members = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        try
        {
            using var file = new BoundedTarStream(File.OpenRead(path), BoundedTarStream.DefaultMaxMetadataSize);
            using var reader = new TarReader(file);
            while (reader.GetNextEntry() is { } entry)
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                    members[Normalize(entry.Name)] = (entry.DataOffset, entry.Length);
        }
        catch (Exception e) when (ArchiveText.IsTarDamage(e))
        {
            throw new TinyImageException($"{path}: not a tar archive or damaged ({ArchiveText.Printable(e.Message)})", e);
        }
        if (members.Count == 0)
            throw new TinyImageException($"{path}: not an image archive (no files in it)");
        return members;
    }

    private static List<ArchiveImage> FromDockerManifest(string path, Dictionary<string, (long Offset, long Length)> members)
    {
        using var manifest = ReadDocument(path, members, "manifest.json");
        var reasons = ReadReasons(path, members);
        var images = new List<ArchiveImage>();
        foreach (var item in ArchiveJson.Root(manifest.RootElement, path, "manifest.json").Items())
        {
            var config = ReadConfig(path, members, item.Property("Config").String());
            var tags = item.Property("RepoTags").Expect(JsonValueKind.Array, orNull: true);
            var reference = tags.IsMissingOrNull ? null : tags.Items().Select(tag => tag.String()).FirstOrDefault();
            var layers = item.Property("Layers").Items().Select(l => l.String()).Select(member =>
                new ArchiveLayer(member, DigestFromPath(member), Member(members, member, path).Length, null)).ToList();
            images.Add(new ArchiveImage(reference ?? "(untagged)", config.Element, config.Bytes, layers, reasons, layer => OpenLayer(path, members, layer), layer => OpenStored(path, members, layer)));
        }
        return images;
    }

    private static List<ArchiveImage> FromOciIndex(string path, Dictionary<string, (long Offset, long Length)> members)
    {
        if (!members.ContainsKey("index.json"))
            throw new TinyImageException($"{path}: not an image archive (no manifest.json or index.json)");
        using var index = ReadDocument(path, members, "index.json");
        var reasons = ReadReasons(path, members);
        var images = new List<ArchiveImage>();
        foreach (var descriptor in ArchiveJson.Root(index.RootElement, path, "index.json").Property("manifests").Items())
        {
            var annotations = descriptor.Property("annotations").Expect(JsonValueKind.Object, orNull: true);
            var reference = annotations.IsMissingOrNull ? null
                : annotations.Property("io.containerd.image.name").OptionalString() ?? annotations.Property("org.opencontainers.image.ref.name").OptionalString();
            var manifestMember = BlobMember(descriptor.Property("digest"));
            using var manifestDocument = ReadDocument(path, members, manifestMember);
            var manifest = ArchiveJson.Root(manifestDocument.RootElement, path, manifestMember).Expect(JsonValueKind.Object);
            if (manifest.Property("layers").IsMissingOrNull && manifest.Property("manifests").Element.ValueKind == JsonValueKind.Array)
                throw new TinyImageException($"{path}: {manifestMember} is an image index, not an image manifest; multi-platform archives are not supported yet");
            var config = ReadConfig(path, members, BlobMember(manifest.Property("config").Property("digest")));
            var layers = manifest.Property("layers").Items().Select(l => new ArchiveLayer(
                BlobMember(l.Property("digest")), l.Property("digest").String(), l.Property("size").WholeNumber(), l.Property("mediaType").OptionalString())).ToList();
            images.Add(new ArchiveImage(reference ?? "(untagged)", config.Element, config.Bytes, layers, reasons, layer => OpenLayer(path, members, layer), layer => OpenStored(path, members, layer)));
        }
        return images;
    }

    private static Stream OpenStored(string path, Dictionary<string, (long Offset, long Length)> members, ArchiveLayer layer)
    {
        var (offset, length) = Member(members, layer.Member, path);
        return new SliceStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), offset, length);
    }

    private static Stream OpenLayer(string path, Dictionary<string, (long Offset, long Length)> members, ArchiveLayer layer)
    {
        var slice = OpenStored(path, members, layer);
        var magic = new byte[2];
        var read = slice.Read(magic);
        slice.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(slice, CompressionMode.Decompress);
        if (layer.MediaType?.EndsWith("+zstd", StringComparison.Ordinal) == true)
        {
            slice.Dispose();
            throw new TinyImageException($"{path}: layer {layer.Digest} is zstd-compressed; tinyrun inspect reads gzip and plain layers");
        }
        return slice;
    }

    /// <summary>The image config, checked for the shape of what is shown of it: strings, string arrays, objects.</summary>
    private static (JsonElement Element, byte[] Bytes) ReadConfig(string path, Dictionary<string, (long Offset, long Length)> members, string member)
    {
        var bytes = ReadBytes(path, members, member, UntrustedFiles.MaxDocumentSize);
        using var document = Parse(path, member, bytes);
        var config = ArchiveJson.Root(document.RootElement, path, member).Expect(JsonValueKind.Object);
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

    /// <summary>TinyImage's record of why each file is there (<c>[{"path":…,"reason":…}]</c>), or nothing when the archive has none.</summary>
    private static IReadOnlyDictionary<string, string> ReadReasons(string path, Dictionary<string, (long Offset, long Length)> members)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!members.ContainsKey(ExplanationMember)) return reasons;
        using var document = ReadDocument(path, members, ExplanationMember, MaxExplanationSize);
        foreach (var item in ArchiveJson.Root(document.RootElement, path, ExplanationMember).Items())
            reasons[item.Property("path").String()] = item.Property("reason").String();
        return reasons;
    }

    private static JsonDocument ReadDocument(
        string path, Dictionary<string, (long Offset, long Length)> members, string member, int limit = UntrustedFiles.MaxDocumentSize) =>
        Parse(path, member, ReadBytes(path, members, member, limit));

    private static byte[] ReadBytes(string path, Dictionary<string, (long Offset, long Length)> members, string member, int limit)
    {
        var (offset, length) = Member(members, member, path);
        if (length > limit) throw UntrustedFiles.TooLarge($"{path}: {ArchiveJson.Display(member)}", limit);
        var bytes = new byte[length];
        using var file = File.OpenRead(path);
        file.Position = offset;
        file.ReadExactly(bytes);
        return bytes;
    }

    private static JsonDocument Parse(string path, string member, byte[] bytes)
    {
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new TinyImageException($"{path}: {ArchiveJson.Display(member)} is not valid JSON ({ArchiveText.Printable(e.Message)}); the archive is damaged", e);
        }
    }

    private static (long Offset, long Length) Member(Dictionary<string, (long Offset, long Length)> members, string member, string path) =>
        members.TryGetValue(Normalize(member), out var found) ? found
            : throw new TinyImageException($"{path}: the archive names {ArchiveJson.Display(member)} but does not contain it; the archive is incomplete");

    /// <summary>Where the blob a descriptor's <c>digest</c> names is: <c>blobs/ALGORITHM/ENCODED</c>.</summary>
    private static string BlobMember(ArchiveJson digest)
    {
        var value = digest.String();
        if (!DigestPattern().IsMatch(value)) throw digest.Error("a digest such as sha256:<64 hex digits>");
        var colon = value.IndexOf(':');
        return $"blobs/{value[..colon]}/{value[(colon + 1)..]}";
    }

    /// <summary>The OCI digest grammar (image-spec descriptor.md): <c>algorithm ":" encoded</c>.</summary>
    [GeneratedRegex("^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")]
    private static partial Regex DigestPattern();

    private static string? DigestFromPath(string member) =>
        member.StartsWith("blobs/sha256/", StringComparison.Ordinal) ? "sha256:" + member["blobs/sha256/".Length..] : null;

    private static string Normalize(string name) => name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
}
