using TinyImage.Core.Oci;

namespace TinyImage.Core.Registry;

/// <summary>A manifest or index as a registry served it: its media type, its exact bytes and their digest.</summary>
public sealed record RegistryManifest(string MediaType, ReadOnlyMemory<byte> Bytes, Digest Digest);
