using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace TinyImage.Core.Oci;

/// <summary>The OCI image manifest JSON; properties in write order.</summary>
/// <remarks>See https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md.</remarks>
internal sealed record ManifestDocument
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; } = 2;
    [JsonPropertyName("mediaType")] public string MediaType { get; init; } = MediaTypes.ImageManifest;
    [JsonPropertyName("config")] public required Descriptor Config { get; init; }
    [JsonPropertyName("layers")] public required ImmutableArray<Descriptor> Layers { get; init; }
}
