using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace TinyImage.Core.Oci;

/// <summary>The OCI image index JSON, used as an image layout's <c>index.json</c>.</summary>
/// <remarks>See https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md.</remarks>
internal sealed record IndexDocument
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; } = 2;
    [JsonPropertyName("mediaType")] public string MediaType { get; init; } = MediaTypes.ImageIndex;
    [JsonPropertyName("manifests")] public required ImmutableArray<Descriptor> Manifests { get; init; }
}
