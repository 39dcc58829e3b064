using System.Text.Json.Serialization;

namespace TinyImage.Core.Oci;

/// <summary>The OCI image config JSON (<c>application/vnd.oci.image.config.v1+json</c>); properties in write order.</summary>
/// <remarks>See https://github.com/opencontainers/image-spec/blob/v1.1.1/config.md.</remarks>
internal sealed record ImageConfigDocument
{
    [JsonPropertyName("created")] public string? Created { get; init; }
    [JsonPropertyName("architecture")] public required string Architecture { get; init; }
    [JsonPropertyName("os")] public required string Os { get; init; }
    [JsonPropertyName("config")] public required ContainerConfigDocument Config { get; init; }
    [JsonPropertyName("rootfs")] public required RootFsDocument RootFs { get; init; }
}
