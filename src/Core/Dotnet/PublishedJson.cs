using System.Text.Json;
using System.Text.Json.Nodes;

namespace TinyImage.Core.Dotnet;

/// <summary>Reading and rewriting the JSON files dotnet publish writes (runtimeconfig.json, deps.json).</summary>
internal static class PublishedJson
{
    /// <summary>How the host reads them: trailing commas and comments allowed; nesting bounded.</summary>
    public static readonly JsonDocumentOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 32 };

    /// <summary>The top-level object of <paramref name="json"/>, which must have the object <paramref name="property"/>.</summary>
    /// <exception cref="TinyImageException">It is not valid JSON or has no such object; <paramref name="name"/> names the file.</exception>
    public static JsonObject ParseObject(ReadOnlyMemory<byte> json, string property, string name)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json.Span, documentOptions: Options);
        }
        catch (JsonException e)
        {
            throw new TinyImageException($"{name}: not valid JSON ({e.Message}); publish the app again with dotnet publish", e);
        }
        return root is JsonObject document && document[property] is JsonObject
            ? document
            : throw new TinyImageException($"{name}: has no \"{property}\" object; publish the app again with dotnet publish");
    }

    /// <summary>The document written back, indented as dotnet publish writes it.</summary>
    public static byte[] Write(JsonObject document)
    {
        using var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true }))
            document.WriteTo(writer);
        return output.ToArray();
    }
}
