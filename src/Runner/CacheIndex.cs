using System.Text.Json.Serialization;

namespace TinyImage.Runner;

/// <summary>A recipe cache entry's index: what the assembly <see cref="Assembly"/> (a content hash) was compiled from.</summary>
internal sealed record CacheIndex(int Format, string Toolchain, string Assembly, List<CacheSource> Sources);

/// <summary>One source file of a cache entry.</summary>
internal sealed record CacheSource(string Path, string Sha256);

[JsonSerializable(typeof(CacheIndex))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
