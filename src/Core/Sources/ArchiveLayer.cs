namespace TinyImage.Core.Sources;

/// <summary>One layer of an <see cref="ArchiveImage"/>: where its blob is in the archive and its stored size.</summary>
public sealed record ArchiveLayer(string Member, string? Digest, long StoredSize, string? MediaType);
