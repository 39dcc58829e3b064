using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace TinyImage.Core.Oci;

/// <summary>The <c>rootfs</c> object of an image config: the diff_ids of the layers, base first.</summary>
internal sealed record RootFsDocument
{
    [JsonPropertyName("type")] public string Type { get; init; } = "layers";
    [JsonPropertyName("diff_ids")] public required ImmutableArray<Digest> DiffIds { get; init; }
}
