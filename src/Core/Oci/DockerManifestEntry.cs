using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace TinyImage.Core.Oci;

/// <summary>One image in the <c>manifest.json</c> that <c>docker load</c> reads (moby image/tarexport).</summary>
internal sealed record DockerManifestEntry
{
    [JsonPropertyName("Config")] public required string Config { get; init; }
    [JsonPropertyName("RepoTags")] public required ImmutableArray<string> RepoTags { get; init; }
    [JsonPropertyName("Layers")] public required ImmutableArray<string> Layers { get; init; }
}
