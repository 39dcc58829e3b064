using System.Text.Json;

namespace TinyImage.Runner;

/// <summary>A recipe cache entry's index: what the assembly <see cref="Assembly"/> (a content hash) was compiled from.</summary>
internal sealed record CacheIndex(int Format, string Toolchain, string Assembly, List<CacheSource> Sources)
{
    /// <summary>The largest index read: a real one names a few sources and is well under 4 KiB.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>
    /// The index in <paramref name="json"/>, or null when it is not one: not JSON, a value of the wrong type or shape
    /// (<c>"Sources": null</c>), a missing field, a source path that is not absolute, a hash that is not 64 hex digits.
    /// Never throws: a damaged index is a cache miss.
    /// </summary>
    public static CacheIndex? TryParse(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxBytes) return null;
        // Read with JsonDocument, not the serializer: the index is read on every build, and the serializer's metadata
        // costs more to set up than the whole rest of this.
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("Format", out var format) || !format.TryGetInt32(out var formatNumber)
                || String(root, "Toolchain") is not { } toolchain || String(root, "Assembly") is not { } assembly || !IsSha256(assembly)
                || !root.TryGetProperty("Sources", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
                return null;
            var sources = new List<CacheSource>();
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || String(item, "Path") is not { } path || String(item, "Sha256") is not { } sha
                    || !Path.IsPathFullyQualified(path) || path.Contains('\0') || !IsSha256(sha))
                    return null;
                sources.Add(new CacheSource(path, sha));
            }
            return new CacheIndex(formatNumber, toolchain, assembly, sources);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) // not JSON; a string that is not UTF-8
        {
            return null;
        }
    }

    /// <summary>The index as JSON, as <see cref="TryParse"/> reads it.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("Format", Format);
            json.WriteString("Toolchain", Toolchain);
            json.WriteString("Assembly", Assembly);
            json.WriteStartArray("Sources");
            foreach (var source in Sources)
            {
                json.WriteStartObject();
                json.WriteString("Path", source.Path);
                json.WriteString("Sha256", source.Sha256);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsSha256(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigitLower);
}

/// <summary>One source file of a cache entry.</summary>
internal sealed record CacheSource(string Path, string Sha256);
