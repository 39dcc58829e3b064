using System.Formats.Tar;
using System.Text.Json;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Sources;

/// <summary>
/// An image read from a layout or archive (<see cref="ImageArchiveReader"/>): its exact config and manifest bytes (for
/// a <c>docker save</c> archive, which has no manifest, an OCI manifest of its config and layers), its layers read in
/// place, and what TinyImage recorded of why each file is there.
/// </summary>
public sealed class ArchiveImage : IImage
{
    private readonly Lazy<(byte[] Bytes, Digest Digest)> _manifest;

    internal ArchiveImage(string reference, JsonElement config, byte[] configBytes, IReadOnlyList<ArchiveLayer> layers, IReadOnlyDictionary<string, string> reasons,
        byte[]? manifest, string manifestMediaType)
    {
        Reference = reference;
        Config = config;
        ConfigBytes = configBytes;
        ConfigDigest = Digest.Compute(configBytes);
        Layers = layers;
        Reasons = reasons;
        ManifestMediaType = manifestMediaType;
        _manifest = new Lazy<(byte[], Digest)>(() =>
        {
            var bytes = manifest ?? ImageDocuments.Manifest(new Descriptor(MediaTypes.ImageConfig, ConfigDigest, configBytes.Length),
                [.. layers.Select(l => new Descriptor(l.MediaType, l.Digest, l.Size))]);
            return (bytes, Digest.Compute(bytes));
        });
    }

    /// <summary>The image's name in the archive ("hello:latest"), or "(untagged)".</summary>
    public string Reference { get; }

    /// <summary>
    /// The image config document: an object whose <c>os</c>, <c>architecture</c>, <c>created</c> and <c>config</c>
    /// members (Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts, Labels) have their documented types, or are absent or null.
    /// </summary>
    public JsonElement Config { get; }

    public ReadOnlyMemory<byte> ConfigBytes { get; }

    public Digest ConfigDigest { get; }

    public ReadOnlyMemory<byte> ManifestBytes => _manifest.Value.Bytes;

    public Digest ManifestDigest => _manifest.Value.Digest;

    public string ManifestMediaType { get; }

    public IReadOnlyList<ArchiveLayer> Layers { get; }

    IReadOnlyList<ILayer> IImage.Layers => Layers;

    /// <summary>Why each file (by absolute path) is in the image, from TinyImage's record in the archive; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Reasons { get; }

    /// <summary>
    /// Every entry of a layer, in order, read as it is enumerated (nothing is kept); paths are absolute and normalized
    /// (<c>./a/</c> is <c>/a</c>). A damaged layer is a <see cref="TinyImageException"/>.
    /// </summary>
    public IEnumerable<LayerEntry> ReadEntries(ArchiveLayer layer)
    {
        using var stream = new BoundedTarStream(Damaged(layer, layer.OpenUncompressed), BoundedTarStream.DefaultMaxMetadataSize);
        using var reader = new TarReader(stream);
        while (Damaged(layer, () => reader.GetNextEntry(copyData: false)) is { } entry)
        {
            var link = entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink ? entry.LinkName : null;
            yield return new LayerEntry(PathOf(entry.Name), entry.EntryType == TarEntryType.Directory, entry.Length, link);
        }
    }

    /// <summary>The absolute path of a tar entry's name; linear in its length, as names can be long.</summary>
    internal static string PathOf(string name)
    {
        var trimmed = name.AsSpan().Trim('/');
        while (trimmed.StartsWith("./", StringComparison.Ordinal)) trimmed = trimmed[2..].TrimStart('/');
        if (trimmed is "" or ".") return "/";
        var plain = !trimmed.Contains("//", StringComparison.Ordinal) && !trimmed.Contains("/./", StringComparison.Ordinal) &&
                    !trimmed.Contains("/../", StringComparison.Ordinal) && !trimmed.StartsWith("../", StringComparison.Ordinal) &&
                    !trimmed.EndsWith("/.", StringComparison.Ordinal) && !trimmed.EndsWith("/..", StringComparison.Ordinal) && trimmed is not "..";
        return plain ? string.Concat("/", trimmed) : ImagePath.Normalize(name);
    }

    private static T Damaged<T>(ArchiveLayer layer, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is ZstdNet.ZstdException || ArchiveText.IsTarDamage(e))
        {
            throw new TinyImageException($"layer {ArchiveJson.Display(layer.Name)} is damaged ({ArchiveText.Printable(e.Message)})", e);
        }
    }
}
