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

    internal ArchiveImage(string reference, JsonElement config, IReadOnlyList<ArchiveLayer> layers, IReadOnlyDictionary<string, string> reasons, Func<ArchiveLayer, Stream> open)
    {
        Reference = reference;
        Config = config;
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

    public IReadOnlyList<ArchiveLayer> Layers { get; }

    /// <summary>Why each file (by absolute path) is in the image, from TinyImage's record in the archive; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Reasons { get; }

    /// <summary>The layer's content as an uncompressed tar stream (gzip is undone here).</summary>
    public Stream OpenLayer(ArchiveLayer layer) => _open(layer);

    /// <summary>Every entry of a layer, in order; a damaged layer is a <see cref="TinyImageException"/>.</summary>
    public IReadOnlyList<LayerEntry> ReadEntries(ArchiveLayer layer)
    {
        var entries = new List<LayerEntry>();
        try
        {
            using var stream = OpenLayer(layer);
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                var path = ImagePath.Normalize(entry.Name);
                var link = entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink ? entry.LinkName : null;
                entries.Add(new LayerEntry(path, entry.EntryType == TarEntryType.Directory, entry.Length, link));
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or OverflowException or IOException)
        {
            throw new TinyImageException($"layer {layer.Digest ?? layer.Member} is damaged ({e.Message})", e);
        }
        return entries;
    }
}
