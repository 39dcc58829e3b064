using System.Formats.Tar;
using System.Text.Json;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Sources;

/// <summary>
/// An image read from an archive: the config and the layers, in order, each readable as an
/// uncompressed tar stream. See <see cref="ImageArchiveReader"/>.
/// </summary>
public sealed class ArchiveImage
{
    private readonly Func<ArchiveLayer, Stream> _open;
    private readonly Func<ArchiveLayer, Stream> _openStored;

    internal ArchiveImage(string reference, JsonElement config, byte[] configBytes, IReadOnlyList<ArchiveLayer> layers, IReadOnlyDictionary<string, string> reasons,
        Func<ArchiveLayer, Stream> open, Func<ArchiveLayer, Stream> openStored)
    {
        _openStored = openStored;
        Reference = reference;
        Config = config;
        ConfigBytes = configBytes;
        Layers = layers;
        Reasons = reasons;
        _open = open;
    }

    /// <summary>The image's name in the archive ("hello:latest"), or "(untagged)".</summary>
    public string Reference { get; }

    /// <summary>
    /// The image config document: an object whose <c>os</c>, <c>architecture</c>, <c>created</c> and <c>config</c>
    /// members (Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts, Labels) have their documented types, or are absent or null.
    /// </summary>
    public JsonElement Config { get; }

    /// <summary>The config's exact bytes, as stored: their digest is the image ID.</summary>
    public ReadOnlyMemory<byte> ConfigBytes { get; }

    public IReadOnlyList<ArchiveLayer> Layers { get; }

    /// <summary>Why each file (by absolute path) is in the image, from TinyImage's record in the archive; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Reasons { get; }

    /// <summary>The layer's content as an uncompressed tar stream (gzip is undone here).</summary>
    public Stream OpenLayer(ArchiveLayer layer) => _open(layer);

    /// <summary>The layer's blob as it is stored in the archive (compressed or not), to reuse it as it is.</summary>
    public Stream OpenStoredLayer(ArchiveLayer layer) => _openStored(layer);

    /// <summary>
    /// Every entry of a layer, in order, read as it is enumerated (nothing is kept); paths are absolute and normalized
    /// (<c>./a/</c> is <c>/a</c>). A damaged layer is a <see cref="TinyImageException"/>.
    /// </summary>
    public IEnumerable<LayerEntry> ReadEntries(ArchiveLayer layer)
    {
        using var stream = new BoundedTarStream(Damaged(layer, () => OpenLayer(layer)), BoundedTarStream.DefaultMaxMetadataSize);
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
        catch (Exception e) when (ArchiveText.IsTarDamage(e))
        {
            throw new TinyImageException($"layer {ArchiveJson.Display(layer.Digest ?? layer.Member)} is damaged ({ArchiveText.Printable(e.Message)})", e);
        }
    }
}
