using System.CommandLine;
using System.Text;
using System.Text.Json;
using TinyImage.Core;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Sources;

namespace TinyImage.Runner;

/// <summary><c>tinyrun inspect IMAGE.tar</c>: the config, the layers with sizes, and the files (with why each is there, for our images).</summary>
internal static class InspectCommand
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";

    public static Command Create()
    {
        var archive = new Argument<string>("archive") { Description = "An image archive: written by tinyrun, by `docker save`, or an OCI archive." };
        var noFiles = new Option<bool>("--no-files") { Description = "Show only the config and the layers." };
        var command = new Command("inspect", """
            Show what an image archive holds: config, layers with sizes, and a tree of files with sizes
            (and, for TinyImage's images, why each file is there).

            Examples:
              tinyrun inspect out/hello.tar
              docker save debian:12 -o debian.tar && tinyrun inspect debian.tar --no-files
            """) { archive, noFiles };
        command.SetAction(parse =>
        {
            foreach (var image in ImageArchiveReader.Read(parse.GetValue(archive)!))
                Console.Write(Describe(image, showFiles: !parse.GetValue(noFiles)));
            return Program.ExitOk;
        });
        return command;
    }

    internal static string Describe(ArchiveImage image, bool showFiles)
    {
        var text = new StringBuilder();
        var config = image.Config;
        text.AppendLine($"{image.Reference}  {Get(config, "os")}/{Get(config, "architecture")}  created {Get(config, "created") ?? "(not set)"}");
        if (config.TryGetProperty("config", out var run) && run.ValueKind == JsonValueKind.Object)
        {
            foreach (var key in new[] { "Entrypoint", "Cmd", "Env", "WorkingDir", "User", "ExposedPorts", "Labels" })
            {
                if (!run.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) continue;
                var shown = value.ValueKind switch
                {
                    JsonValueKind.Array => "[" + string.Join(", ", value.EnumerateArray().Select(v => JsonSerializer.Serialize(v.GetString()))) + "]",
                    JsonValueKind.Object => string.Join(", ", value.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.String ? $"{p.Name}={p.Value.GetString()}" : p.Name)),
                    _ => value.ToString(),
                };
                if (shown is not ("" or "[]")) text.AppendLine($"  {key,-11} {shown}");
            }
        }

        var files = new SortedDictionary<string, (LayerEntry Entry, int Layer)>(StringComparer.Ordinal);
        text.AppendLine($"layers ({image.Layers.Count}):");
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var layer = image.Layers[i];
            var entries = image.ReadEntries(layer);
            var unpacked = entries.Sum(e => e.Size);
            var count = entries.Count(e => !e.IsDirectory);
            Apply(files, entries, i + 1);
            text.AppendLine($"  {i + 1}. {layer.Digest ?? layer.Member}  {Sizes.Format(layer.StoredSize)} stored, {Sizes.Format(unpacked)} of files, {count} files and links");
        }
        if (!showFiles) return text.ToString();

        text.AppendLine("files:");
        foreach (var (path, (entry, layerNumber)) in files.Where(f => f.Key != "/"))
        {
            var depth = path.Count(c => c == '/') - 1;
            var name = path[(path.LastIndexOf('/') + 1)..];
            var label = entry.IsDirectory ? name + "/" : entry.LinkTarget is { } link ? $"{name} -> {link}" : $"{name}  {Sizes.Format(entry.Size)}";
            var layerNote = image.Layers.Count > 1 && !entry.IsDirectory ? $"  [layer {layerNumber}]" : "";
            var why = image.Reasons.TryGetValue(path, out var reason) ? "  " + reason : "";
            text.AppendLine($"  {new string(' ', depth * 2)}{label}{layerNote}{why}");
        }
        return text.ToString();
    }

    /// <summary>
    /// Applies a layer to the file system seen so far, as an engine unpacks it: its whiteouts (<c>.wh.NAME</c> removes
    /// NAME, <c>.wh..wh..opq</c> empties its directory) remove what the layers below hold, never what this layer
    /// itself adds; then its entries replace earlier ones (a directory over a directory keeps the contents).
    /// </summary>
    private static void Apply(SortedDictionary<string, (LayerEntry Entry, int Layer)> files, IReadOnlyList<LayerEntry> entries, int layer)
    {
        foreach (var entry in entries)
        {
            var (parent, name) = Split(entry.Path);
            if (name == OpaqueWhiteout) RemoveUnder(files, parent);
            else if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                var removed = ImagePath.Combine(parent, name[WhiteoutPrefix.Length..]);
                files.Remove(removed);
                RemoveUnder(files, removed);
            }
        }
        foreach (var entry in entries)
        {
            if (entry.Path == "/" || Split(entry.Path).Name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal)) continue;
            if (files.TryGetValue(entry.Path, out var existing))
            {
                if (entry.IsDirectory && existing.Entry.IsDirectory) continue;
                if (existing.Entry.IsDirectory) RemoveUnder(files, entry.Path);
            }
            files[entry.Path] = (entry, layer);
        }
    }

    private static (string Parent, string Name) Split(string path)
    {
        var slash = path.LastIndexOf('/');
        return (slash == 0 ? "/" : path[..slash], path[(slash + 1)..]);
    }

    private static void RemoveUnder(SortedDictionary<string, (LayerEntry Entry, int Layer)> files, string directory)
    {
        var prefix = directory == "/" ? "/" : directory + "/";
        foreach (var path in files.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) files.Remove(path);
    }

    private static string? Get(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
