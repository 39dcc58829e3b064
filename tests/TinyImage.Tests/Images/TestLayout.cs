using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace TinyImage.Tests.Images;

/// <summary>
/// Writes small OCI image layouts for base-image tests: each layer is a list of tar entries, gzipped (or not), with a
/// config whose diff_ids are the layers' real ones unless a test says otherwise.
/// </summary>
internal static class TestLayout
{
    /// <summary>One tar entry: a file (content), a directory, a symlink or hard link (target).</summary>
    public sealed record Entry(string Name, TarEntryType Type = TarEntryType.RegularFile, string Content = "", string? Target = null);

    public static string Write(string directory, IReadOnlyList<IReadOnlyList<Entry>> layers, string configRun = "{}", bool gzip = true,
        Func<int, string, string>? diffIdFor = null, string architecture = "amd64")
    {
        Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        var descriptors = new List<string>();
        var diffIds = new List<string>();
        for (var i = 0; i < layers.Count; i++)
        {
            var tar = Tar(layers[i]);
            var diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar));
            diffIds.Add(diffIdFor?.Invoke(i, diffId) ?? diffId);
            var blob = gzip ? Gzip(tar) : tar;
            descriptors.Add(Descriptor(directory, gzip ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar", blob));
        }
        var ids = string.Join(",", diffIds.Select(d => $"\"{d}\""));
        var config = $$$"""{"architecture":"{{{architecture}}}","os":"linux","config":{{{configRun}}},"rootfs":{"type":"layers","diff_ids":[{{{ids}}}]}}""";
        var configDescriptor = Descriptor(directory, "application/vnd.oci.image.config.v1+json", Encoding.UTF8.GetBytes(config));
        var manifest = $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{configDescriptor}},"layers":[{{string.Join(",", descriptors)}}]}""";
        var manifestDescriptor = Descriptor(directory, "application/vnd.oci.image.manifest.v1+json", Encoding.UTF8.GetBytes(manifest));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllText(Path.Combine(directory, "index.json"), $$"""{"schemaVersion":2,"manifests":[{{manifestDescriptor}}]}""");
        return directory;
    }

    /// <summary>Writes a blob and returns its descriptor's JSON.</summary>
    public static string Descriptor(string directory, string mediaType, byte[] blob)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(blob));
        File.WriteAllBytes(Path.Combine(directory, "blobs", "sha256", hex), blob);
        return $$"""{"mediaType":"{{mediaType}}","digest":"sha256:{{hex}}","size":{{blob.Length}}}""";
    }

    public static byte[] Tar(IEnumerable<Entry> entries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var e in entries)
            {
                var entry = new PaxTarEntry(e.Type, e.Name) { ModificationTime = DateTimeOffset.UnixEpoch, Mode = (UnixFileMode)0x1ED };
                if (e.Target is not null) entry.LinkName = e.Target;
                if (e.Type == TarEntryType.RegularFile) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(e.Content));
                writer.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return buffer.ToArray();
    }
}
