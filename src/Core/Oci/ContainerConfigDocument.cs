using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace TinyImage.Core.Oci;

/// <summary>The <c>config</c> object of an image config: how a container runs. Null members are omitted.</summary>
internal sealed record ContainerConfigDocument
{
    [JsonPropertyName("User")] public string? User { get; init; }
    [JsonPropertyName("ExposedPorts")] public ImmutableSortedDictionary<string, EmptyObject>? ExposedPorts { get; init; }
    [JsonPropertyName("Env")] public ImmutableArray<string>? Env { get; init; }
    [JsonPropertyName("Entrypoint")] public ImmutableArray<string>? Entrypoint { get; init; }
    [JsonPropertyName("Cmd")] public ImmutableArray<string>? Cmd { get; init; }
    [JsonPropertyName("WorkingDir")] public string? WorkingDir { get; init; }
    [JsonPropertyName("Labels")] public ImmutableSortedDictionary<string, string>? Labels { get; init; }
}
