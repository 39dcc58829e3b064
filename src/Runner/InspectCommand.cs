using System.CommandLine;
using System.Text;
using System.Text.Json;
using TinyImage.Core.Needs;
using TinyImage.Core.Packages;
using TinyImage.Core.Sources;
using TinyImage.Core.Spec;

namespace TinyImage.Runner;

/// <summary>
/// <c>tinyrun inspect IMAGE.tar</c>: the config, the layers with sizes, the Debian packages, the runtime needs of its ELF
/// files (met or not), and the files (with why each is there, for our images, and their package).
/// </summary>
/// <remarks>
/// Output is written as it is made, and what is kept is bounded (<see cref="MergedLayers"/>): a small archive of
/// hostile layers (deep paths, endless entries) gives bounded memory and output, with a line saying what is not shown.
/// </remarks>
internal static class InspectCommand
{
    /// <summary>How many of the largest files inspect names, with why each is there.</summary>
    private const int LargestShown = 5;

    /// <summary>Deeper files are not indented further; their line says their depth.</summary>
    private const int MaxIndentedDepth = 32;

    public static Command Create()
    {
        var archive = new Argument<string>("archive") { Description = "An image archive (written by tinyrun, by `docker save`, or an OCI archive) or an OCI layout directory." };
        var noFiles = new Option<bool>("--no-files") { Description = "Show only the config and the layers (not the runtime needs nor the files)." };
        var platform = CommandLineValues.Platform("From an index of several platforms, show only this one's image, e.g. linux/arm64 (default: all).");
        var command = new Command("inspect", """
            Show what an image archive holds: config, layers with sizes, the Debian packages it records
            (/var/lib/dpkg/status.d) with versions, what its ELF files need at run time beyond their libraries
            (each provided or missing, with the call that provides it), and a tree of files with sizes, each
            with its package (and, for TinyImage's images, why each file is there).

            Examples:
              tinyrun inspect out/hello.tar
              docker save debian:12 -o debian.tar && tinyrun inspect debian.tar --no-files
            """) { archive, noFiles, platform };
        command.SetAction(parse =>
        {
            using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
            foreach (var image in ImageArchiveReader.Read(parse.GetValue(archive)!, parse.GetValue(platform)))
                Describe(image, showFiles: !parse.GetValue(noFiles), output);
            return Program.ExitOk;
        });
        return command;
    }

    internal static void Describe(ArchiveImage image, bool showFiles, TextWriter output)
    {
        var config = image.Config;
        output.WriteLine($"{ArchiveText.Printable(image.Reference)}  {Get(config, "os")}/{Get(config, "architecture")}  created {Get(config, "created") ?? "(not set)"}");
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
                if (shown is not ("" or "[]")) output.WriteLine($"  {key,-11} {ArchiveText.Printable(shown)}");
            }
        }

        var files = new MergedLayers();
        output.WriteLine($"layers ({image.Layers.Count}):");
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var layer = image.Layers[i];
            long unpacked = 0, count = 0;
            files.AddLayer(image.ReadEntries(layer).Select(entry =>
            {
                unpacked += entry.Size;
                if (!entry.IsDirectory) count++;
                return entry;
            }), i + 1);
            output.WriteLine($"  {i + 1}. {ArchiveText.Printable(layer.Name)}  {Sizes.Format(layer.Size)} stored, {Sizes.Format(unpacked)} of files, {count} files and links");
        }
        var largest = files.Files.Where(f => !f.Entry.IsDirectory && f.Entry.LinkTarget is null).OrderByDescending(f => f.Entry.Size)
            .ThenBy(f => f.Entry.Path, StringComparer.Ordinal).Take(LargestShown).ToList();
        if (largest.Count > 0)
        {
            output.WriteLine("largest:");
            foreach (var (entry, _) in largest)
                output.WriteLine($"  {Sizes.Format(entry.Size),9}  {ArchiveText.Printable(entry.Path)}" +
                                 (image.Reasons.TryGetValue(entry.Path, out var reason) ? $"  ({ArchiveText.Printable(reason)})" : ""));
        }
        if (showFiles) WriteNeeds(image, files, output);
        var packages = ImagePackages.Read(image);
        if (packages.Packages.Count > 0)
        {
            output.WriteLine($"packages ({packages.Packages.Count}, from /var/lib/dpkg/status.d):");
            foreach (var (name, version, architecture) in packages.Packages)
                output.WriteLine($"  {ArchiveText.Printable(name)} {ArchiveText.Printable(version)} {ArchiveText.Printable(architecture)}");
        }
        if (!showFiles) return;

        output.WriteLine("files:");
        foreach (var (entry, layerNumber) in files.Files)
        {
            var path = entry.Path;
            var depth = path.AsSpan().Count('/') - 1;
            var name = ArchiveText.Printable(path[(path.LastIndexOf('/') + 1)..]);
            var label = entry.IsDirectory ? name + "/" : entry.LinkTarget is { } link ? $"{name} -> {ArchiveText.Printable(link)}" : $"{name}  {Sizes.Format(entry.Size)}";
            var indent = depth <= MaxIndentedDepth ? new string(' ', depth * 2) : new string(' ', MaxIndentedDepth * 2) + $"(depth {depth}) ";
            var layerNote = image.Layers.Count > 1 && !entry.IsDirectory ? $"  [layer {layerNumber}]" : "";
            var why = image.Reasons.TryGetValue(path, out var reason) ? "  " + ArchiveText.Printable(reason) : "";
            var package = packages.Owner(path) is { } owner ? $"  (package {ArchiveText.Printable(owner)})" : "";
            output.WriteLine($"  {indent}{label}{layerNote}{why}{package}");
        }
        if (files.NotKept > 0)
            output.WriteLine($"  ({files.NotKept} entries not shown: paths longer than {MergedLayers.MaxPathLength} characters, or more files than inspect keeps)");
    }

    /// <summary>The runtime needs of the image's ELF files, each provided or missing (placed before the packages, which lead into the files).</summary>
    private static void WriteNeeds(ArchiveImage image, MergedLayers files, TextWriter output)
    {
        var needs = ArchiveNeeds.Read(image, files.Files);
        output.WriteLine("runtime needs (read from the ELF files' imports and strings, as deps --needs):");
        if (needs.Needs.Count == 0) output.WriteLine("  none beyond the libraries");
        foreach (var (need, met) in needs.Needs)
            output.WriteLine("  " + ArchiveText.Printable(need.Describe(met)));
        if (needs.NotRead > 0)
            output.WriteLine($"  ({needs.NotRead} ELF files not read: past the {Sizes.Format(ArchiveNeeds.MaxCopiedBytes)} inspect reads, or at paths it cannot copy them to)");
    }

    private static string? Get(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? ArchiveText.Printable(value.GetString()!) : null;
}
