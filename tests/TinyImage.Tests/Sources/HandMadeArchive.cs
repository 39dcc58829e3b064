using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using TinyImage.Core.Oci;

namespace TinyImage.Tests.Sources;

/// <summary>Image archives written by hand, laid out as <c>docker save</c> does, with any layer entries and any JSON.</summary>
internal static class HandMadeArchive
{
    public const string Config = """{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[]}}""";

    /// <summary>A layer tar (gzipped when asked) of entries: a name ending in '/' is a directory, a "->" in the data makes a symlink.</summary>
    public static byte[] Layer(bool gzip, params (string Name, string Data)[] entries)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                if (name.EndsWith('/')) writer.WriteEntry(Entry(TarEntryType.Directory, name));
                else if (data.StartsWith("->", StringComparison.Ordinal)) writer.WriteEntry(Entry(TarEntryType.SymbolicLink, name, linkName: data[2..]));
                else writer.WriteEntry(Entry(TarEntryType.RegularFile, name, Encoding.UTF8.GetBytes(data)));
            }
        }
        if (!gzip) return tar.ToArray();
        using var compressed = new MemoryStream();
        using (var stream = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) stream.Write(tar.ToArray());
        return compressed.ToArray();
    }

    /// <summary>Writes a <c>docker save</c> archive of the layers (config.json, layerN.tar, manifest.json naming them) and returns its path.</summary>
    public static string DockerSave(string path, params byte[][] layers)
    {
        var members = new List<(string, byte[])> { ("config.json", Encoding.UTF8.GetBytes(Config)) };
        members.AddRange(layers.Select((layer, i) => ($"layer{i + 1}.tar", layer)));
        var manifest = $$"""[{"Config":"config.json","RepoTags":["hand:1"],"Layers":[{{string.Join(",", layers.Select((_, i) => $"\"layer{i + 1}.tar\""))}}]}]""";
        members.Add(("manifest.json", Encoding.UTF8.GetBytes(manifest)));
        return Write(path, members);
    }

    /// <summary>
    /// Writes an OCI archive (index.json, blobs/sha256/…) of one image whose documents are given as text, so they can
    /// be anything: "{MANIFEST}", "{CONFIG}" and "{LAYER}" in them become the digests of the manifest, config and layer,
    /// and "{MANIFEST_SIZE}", "{CONFIG_SIZE}" and "{LAYER_SIZE}" their sizes.
    /// </summary>
    public static string Oci(string path, string index, string manifest, string config, byte[] layer)
    {
        var layerDigest = Digest.Compute(layer).ToString();
        var configBytes = Encoding.UTF8.GetBytes(config);
        var configDigest = Digest.Compute(configBytes).ToString();
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.Replace("{CONFIG}", configDigest).Replace("{LAYER}", layerDigest)
            .Replace("{CONFIG_SIZE}", $"{configBytes.Length}").Replace("{LAYER_SIZE}", $"{layer.Length}"));
        var manifestDigest = Digest.Compute(manifestBytes).ToString();
        return Write(path, [
            ("oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray()),
            ("index.json", Encoding.UTF8.GetBytes(index.Replace("{MANIFEST}", manifestDigest).Replace("{MANIFEST_SIZE}", $"{manifestBytes.Length}"))),
            (Blob(manifestDigest), manifestBytes),
            (Blob(configDigest), configBytes),
            (Blob(layerDigest), layer),
        ]);
    }

    /// <summary>A well-formed manifest for <see cref="Oci"/>.</summary>
    public const string OciManifest = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{CONFIG}","size":{CONFIG_SIZE}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{LAYER}","size":{LAYER_SIZE}}]}""";

    /// <summary>A well-formed index for <see cref="Oci"/>.</summary>
    public const string OciIndex = """{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{MANIFEST}","size":{MANIFEST_SIZE},"annotations":{"io.containerd.image.name":"docker.io/library/hand:1"}}]}""";

    /// <summary>The archive member of a blob.</summary>
    public static string Blob(string digest) => "blobs/sha256/" + digest["sha256:".Length..];

    /// <summary>Writes a tar of the members, in order, and returns its path.</summary>
    public static string Write(string path, IEnumerable<(string Name, byte[] Data)> members)
    {
        using var file = File.Create(path);
        using var writer = new TarWriter(file, TarEntryFormat.Gnu);
        foreach (var (name, data) in members)
            writer.WriteEntry(Entry(TarEntryType.RegularFile, name, data));
        return path;
    }

    /// <summary>A tar entry dated 1970, so that the same arguments give the same bytes (the fuzz test's seeds depend on it).</summary>
    public static GnuTarEntry Entry(TarEntryType type, string name, byte[]? data = null, string? linkName = null)
    {
        var entry = new GnuTarEntry(type, name) { ModificationTime = DateTimeOffset.UnixEpoch };
        if (data is not null) entry.DataStream = new MemoryStream(data);
        if (linkName is not null) entry.LinkName = linkName;
        return entry;
    }
}
