using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace TinyImage.Core.Sources;

/// <summary>
/// Reads image archives: TinyImage's own, <c>docker save</c> output (with <c>manifest.json</c>, layers
/// as plain or gzipped tars) and OCI archives (with <c>index.json</c>). The archive is scanned once for
/// member offsets; blobs are then read in place, never copied into memory whole.
/// </summary>
public static class ImageArchiveReader
{
    private const int MaxDocumentSize = 16 << 20;
    private const string ExplanationMember = Oci.ImageArchiveWriter.ExplanationMember;

    public static IReadOnlyList<ArchiveImage> Read(string path)
    {
        if (Directory.Exists(path))
            throw new TinyImageException($"{path}: is a directory; give an image archive (.tar) written by tinyrun, docker save or skopeo");
        if (!File.Exists(path))
            throw new TinyImageException($"{path}: no such file");
        var members = Scan(path);
        try
        {
            return members.ContainsKey("manifest.json") ? FromDockerManifest(path, members) : FromOciIndex(path, members);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or OverflowException or IOException)
        {
            throw new TinyImageException($"{path}: not a valid image archive ({e.Message})", e);
        }
    }

    private static Dictionary<string, (long Offset, long Length)> Scan(string path)
    {
        var members = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(path);
            using var reader = new TarReader(file);
            while (reader.GetNextEntry() is { } entry)
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                    members[Normalize(entry.Name)] = (entry.DataOffset, entry.Length);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or OverflowException or IOException)
        {
            throw new TinyImageException($"{path}: not a tar archive or damaged ({e.Message})", e);
        }
        if (members.Count == 0)
            throw new TinyImageException($"{path}: not an image archive (no files in it)");
        return members;
    }

    private static List<ArchiveImage> FromDockerManifest(string path, Dictionary<string, (long Offset, long Length)> members)
    {
        using var manifest = ReadDocument(path, members, "manifest.json");
        var explanation = TryReadDocument(path, members, ExplanationMember);
        var images = new List<ArchiveImage>();
        foreach (var item in manifest.RootElement.EnumerateArray())
        {
            var config = ReadDocument(path, members, item.GetProperty("Config").GetString()!).RootElement.Clone();
            var reference = item.TryGetProperty("RepoTags", out var tags) && tags.ValueKind == JsonValueKind.Array && tags.GetArrayLength() > 0
                ? tags[0].GetString()! : "(untagged)";
            var layers = item.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()!).Select(member =>
                new ArchiveLayer(member, DigestFromPath(member), Member(members, member, path).Length, null)).ToList();
            images.Add(new ArchiveImage(reference, config, layers, explanation, layer => OpenLayer(path, members, layer)));
        }
        return images;
    }

    private static List<ArchiveImage> FromOciIndex(string path, Dictionary<string, (long Offset, long Length)> members)
    {
        if (!members.ContainsKey("index.json"))
            throw new TinyImageException($"{path}: not an image archive (no manifest.json or index.json)");
        using var index = ReadDocument(path, members, "index.json");
        var images = new List<ArchiveImage>();
        foreach (var descriptor in index.RootElement.GetProperty("manifests").EnumerateArray())
        {
            var reference = descriptor.TryGetProperty("annotations", out var annotations) &&
                            annotations.TryGetProperty("io.containerd.image.name", out var name) ? name.GetString()!
                : annotations.ValueKind == JsonValueKind.Object && annotations.TryGetProperty("org.opencontainers.image.ref.name", out var refName) ? refName.GetString()!
                : "(untagged)";
            using var manifest = ReadDocument(path, members, BlobMember(descriptor.GetProperty("digest").GetString()!));
            if (!manifest.RootElement.TryGetProperty("layers", out var layerList))
                throw new TinyImageException($"{path}: {descriptor.GetProperty("digest").GetString()} is an image index, not an image manifest; multi-platform archives are not supported yet");
            var config = ReadDocument(path, members, BlobMember(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!)).RootElement.Clone();
            var layers = layerList.EnumerateArray().Select(l =>
            {
                var digest = l.GetProperty("digest").GetString()!;
                return new ArchiveLayer(BlobMember(digest), digest, l.GetProperty("size").GetInt64(), l.GetProperty("mediaType").GetString());
            }).ToList();
            images.Add(new ArchiveImage(reference, config, layers, TryReadDocument(path, members, ExplanationMember), layer => OpenLayer(path, members, layer)));
        }
        return images;
    }

    private static Stream OpenLayer(string path, Dictionary<string, (long Offset, long Length)> members, ArchiveLayer layer)
    {
        var (offset, length) = Member(members, layer.Member, path);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var slice = new SliceStream(file, offset, length);
        var magic = new byte[2];
        var read = slice.Read(magic);
        slice.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(slice, CompressionMode.Decompress);
        if (layer.MediaType?.EndsWith("+zstd", StringComparison.Ordinal) == true)
            throw new TinyImageException($"{path}: layer {layer.Digest} is zstd-compressed; tinyrun inspect reads gzip and plain layers");
        return slice;
    }

    private static JsonDocument ReadDocument(string path, Dictionary<string, (long Offset, long Length)> members, string member)
    {
        var (offset, length) = Member(members, member, path);
        if (length > MaxDocumentSize)
            throw new TinyImageException($"{path}: {member} is {length} bytes, too large for an image document");
        var bytes = new byte[length];
        using var file = File.OpenRead(path);
        file.Position = offset;
        file.ReadExactly(bytes);
        return JsonDocument.Parse(bytes);
    }

    private static JsonElement? TryReadDocument(string path, Dictionary<string, (long Offset, long Length)> members, string member)
    {
        if (!members.ContainsKey(member)) return null;
        using var document = ReadDocument(path, members, member);
        return document.RootElement.Clone();
    }

    private static (long Offset, long Length) Member(Dictionary<string, (long Offset, long Length)> members, string member, string path) =>
        members.TryGetValue(Normalize(member), out var found) ? found
            : throw new TinyImageException($"{path}: the archive names {member} but does not contain it; the archive is incomplete");

    private static string BlobMember(string digest)
    {
        var colon = digest.IndexOf(':');
        if (colon <= 0) throw new FormatException($"'{digest}' is not a digest");
        return $"blobs/{digest[..colon]}/{digest[(colon + 1)..]}";
    }

    private static string? DigestFromPath(string member) =>
        member.StartsWith("blobs/sha256/", StringComparison.Ordinal) ? "sha256:" + member["blobs/sha256/".Length..] : null;

    private static string Normalize(string name) => name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
}
