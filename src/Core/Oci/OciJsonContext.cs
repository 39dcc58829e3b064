using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace TinyImage.Core.Oci;

/// <summary>Source-generated serializers for the image documents: compact, nulls omitted, properties in declaration order.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(ImageConfigDocument))]
[JsonSerializable(typeof(ManifestDocument))]
[JsonSerializable(typeof(IndexDocument))]
[JsonSerializable(typeof(LayoutDocument))]
[JsonSerializable(typeof(ImmutableArray<DockerManifestEntry>))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
