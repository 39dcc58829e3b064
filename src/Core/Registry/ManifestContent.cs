using System.Collections.Immutable;
using System.Text.Json;
using TinyImage.Core.Oci;
using TinyImage.Core.Sources;

namespace TinyImage.Core.Registry;

/// <summary>
/// What a manifest or index from a registry points at, read defensively: an image manifest's config and layers, or an
/// index's manifests with their platforms. Anything malformed is one <see cref="TinyImageException"/>.
/// </summary>
public sealed record ManifestContent(string MediaType, Descriptor? Config, ImmutableArray<Descriptor> Layers, ImmutableArray<PlatformManifest> Manifests)
{
    /// <summary>Whether this is an index (or Docker manifest list), whose <see cref="Manifests"/> are set.</summary>
    public bool IsIndex => RegistryMediaTypes.IsIndex(MediaType);

    /// <summary>Reads <paramref name="manifest"/>, whose name <paramref name="name"/> goes into errors.</summary>
    /// <exception cref="TinyImageException">It is not JSON, not a manifest or index of a known media type, or a member is missing or malformed.</exception>
    public static ManifestContent Parse(RegistryManifest manifest, string name)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        try
        {
            using var document = JsonDocument.Parse(manifest.Bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(name, "it is not a JSON object");
            if (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != 2)
                throw Bad(name, "its schemaVersion is not 2 (a Docker schema1 manifest or no manifest at all); push the image again with a current tool");
            var mediaType = OptionalString(root, "mediaType", name) ?? manifest.MediaType;
            if (RegistryMediaTypes.IsIndex(mediaType))
            {
                var entries = Array(root, "manifests", name).Select((e, i) => Entry(e, $"manifests[{i}]", name));
                return new ManifestContent(mediaType, null, [], [.. entries]);
            }
            if (!RegistryMediaTypes.IsImageManifest(mediaType))
                throw Bad(name, $"its media type {ArchiveJson.Display(mediaType)} is neither an image manifest nor an index");
            if (!root.TryGetProperty("config", out var config)) throw Bad(name, "it has no config");
            var layers = Array(root, "layers", name).Select((e, i) => Descriptor(e, $"layers[{i}]", name));
            return new ManifestContent(mediaType, Descriptor(config, "config", name), [.. layers], []);
        }
        catch (JsonException e)
        {
            throw Bad(name, $"it is not valid JSON ({ArchiveText.Printable(e.Message)})");
        }
    }

    private static PlatformManifest Entry(JsonElement element, string member, string name)
    {
        var descriptor = Descriptor(element, member, name);
        string? os = null, architecture = null, variant = null;
        if (element.TryGetProperty("platform", out var platform) && platform.ValueKind != JsonValueKind.Null)
        {
            if (platform.ValueKind != JsonValueKind.Object) throw Bad(name, $"{member}.platform is not an object");
            os = OptionalString(platform, "os", name);
            architecture = OptionalString(platform, "architecture", name);
            variant = OptionalString(platform, "variant", name);
        }
        return new PlatformManifest(descriptor, os, architecture, variant);
    }

    private static Descriptor Descriptor(JsonElement element, string member, string name)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Bad(name, $"{member} is not an object");
        var mediaType = OptionalString(element, "mediaType", name);
        if (string.IsNullOrEmpty(mediaType)) throw Bad(name, $"{member} has no mediaType");
        var digestText = OptionalString(element, "digest", name);
        if (!Digest.TryParse(digestText, out var digest))
            throw Bad(name, $"{member}.digest {(digestText is null ? "is missing" : ArchiveJson.Display(digestText) + " is not a sha256 digest")}");
        if (!element.TryGetProperty("size", out var sizeElement) || sizeElement.ValueKind != JsonValueKind.Number
            || !sizeElement.TryGetInt64(out var size) || size < 0)
            throw Bad(name, $"{member}.size is not a whole number of bytes");
        return new Descriptor(mediaType, digest, size);
    }

    private static IEnumerable<JsonElement> Array(JsonElement root, string property, string name)
    {
        if (!root.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Bad(name, $"its {property} is not an array");
        return array.EnumerateArray().ToList();
    }

    private static string? OptionalString(JsonElement element, string property, string name)
    {
        if (!element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw Bad(name, $"its {property} is not a string");
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            throw Bad(name, $"its {property} is not valid UTF-8");
        }
    }

    private static TinyImageException Bad(string name, string what) =>
        new($"the manifest {name} cannot be used: {what}");
}
