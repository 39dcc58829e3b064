using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace TinyImage.Tests.Integration;

/// <summary>An image archive read back the way `docker load` reads it: manifest.json, then config and layer blobs.</summary>
public sealed class ImageArchive
{
    private ImageArchive(JsonElement manifest, JsonElement config, IReadOnlyList<(string Name, TarEntryType Type, string LinkName)> entries)
    {
        DockerManifest = manifest;
        Config = config;
        LayerEntries = entries;
    }

    public JsonElement DockerManifest { get; }
    public JsonElement Config { get; }

    /// <summary>Every entry of every layer, in order: name without leading "./" or trailing "/".</summary>
    public IReadOnlyList<(string Name, TarEntryType Type, string LinkName)> LayerEntries { get; }

    /// <summary>The absolute paths of everything that is not a directory.</summary>
    public ISet<string> NonDirectories() =>
        LayerEntries.Where(e => e.Type != TarEntryType.Directory).Select(e => "/" + e.Name).ToHashSet();

    public static ImageArchive Read(string path)
    {
        var blobs = new Dictionary<string, byte[]>();
        using (var reader = new TarReader(File.OpenRead(path)))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.DataStream is null) continue;
                using var buffer = new MemoryStream();
                entry.DataStream.CopyTo(buffer);
                blobs[entry.Name] = buffer.ToArray();
            }
        }
        var manifest = JsonDocument.Parse(blobs["manifest.json"]).RootElement[0];
        var config = JsonDocument.Parse(blobs[manifest.GetProperty("Config").GetString()!]).RootElement;
        var entries = new List<(string, TarEntryType, string)>();
        foreach (var layer in manifest.GetProperty("Layers").EnumerateArray())
        {
            using var gunzip = new GZipStream(new MemoryStream(blobs[layer.GetString()!]), CompressionMode.Decompress);
            using var layerReader = new TarReader(gunzip);
            while (layerReader.GetNextEntry() is { } entry)
                entries.Add((entry.Name.TrimEnd('/'), entry.EntryType, entry.LinkName));
        }
        return new ImageArchive(manifest.Clone(), config.Clone(), entries);
    }
}
