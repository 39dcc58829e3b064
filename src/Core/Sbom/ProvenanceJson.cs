using System.Text.Json;
using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Sbom;

/// <summary>
/// One file of <c>tinyimage/files.json</c>: <c>{"path","reason"}</c> (the line people read) and the provenance's fields:
/// <c>step</c>, <c>recipe</c> (file(line)), <c>needed</c> (name, by, rule, foundIn), <c>package</c> (name, version,
/// architecture, source) and <c>application</c> (true for the recipe's own files).
/// </summary>
public static class ProvenanceJson
{
    public static void Write(Utf8JsonWriter json, FileEntry entry)
    {
        var provenance = entry.Provenance;
        json.WriteStartObject();
        json.WriteString("path", entry.Path);
        json.WriteString("reason", provenance.Describe());
        if (provenance.Step.Length > 0)
        {
            json.WriteString("step", provenance.Step);
            json.WriteString("recipe", provenance.Where);
        }
        if (provenance.Need is { } need)
        {
            json.WriteStartObject("needed");
            json.WriteString("name", need.Name);
            json.WriteString("by", need.Requester);
            json.WriteString("rule", need.Rule.ToString());
            if (need.FoundIn.Length > 0) json.WriteString("foundIn", need.FoundIn);
            json.WriteEndObject();
        }
        if (provenance.Package is { } package)
        {
            json.WriteStartObject("package");
            json.WriteString("name", package.Name);
            json.WriteString("version", package.Version);
            json.WriteString("architecture", package.Architecture);
            if (package.Source is { } source) json.WriteString("source", source);
            json.WriteEndObject();
        }
        if (provenance.FromRecipe) json.WriteBoolean("application", true);
        json.WriteEndObject();
    }
}
