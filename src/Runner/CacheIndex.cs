using System.Text.Json;
using System.Text.Json.Serialization;

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
        CacheIndex? index;
        try
        {
            index = JsonSerializer.Deserialize(json, CacheJsonContext.Default.CacheIndex);
        }
        catch (JsonException)
        {
            return null;
        }
        // The serializer fills what the JSON names, nulls included, whatever the declared nullability.
        return index is { Toolchain: not null, Assembly: { } assembly, Sources: { Count: > 0 } sources }
            && IsSha256(assembly)
            && sources.All(s => s is { Path: { } path, Sha256: { } sha } && Path.IsPathFullyQualified(path) && !path.Contains('\0') && IsSha256(sha))
            ? index : null;
    }

    private static bool IsSha256(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigitLower);
}

/// <summary>One source file of a cache entry.</summary>
internal sealed record CacheSource(string Path, string Sha256);

[JsonSerializable(typeof(CacheIndex))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
