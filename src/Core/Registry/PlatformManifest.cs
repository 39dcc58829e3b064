using TinyImage.Core.Oci;

namespace TinyImage.Core.Registry;

/// <summary>One entry of an index: a manifest and the platform it is for (null parts when the index does not say).</summary>
public sealed record PlatformManifest(Descriptor Descriptor, string? Os, string? Architecture, string? Variant);
