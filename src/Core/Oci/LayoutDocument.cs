using System.Text.Json.Serialization;

namespace TinyImage.Core.Oci;

/// <summary>The <c>oci-layout</c> file of an image layout.</summary>
internal sealed record LayoutDocument
{
    [JsonPropertyName("imageLayoutVersion")] public string ImageLayoutVersion { get; init; } = "1.0.0";
}
