using TinyImage.Core.Oci;

namespace TinyImage.Core.Images;

/// <summary>What checking a base image's layer found: the digest of its tar (diff_id) and what it holds.</summary>
public sealed record LayerFacts(Digest DiffId, long UncompressedSize, int FileCount, int EntryCount, long ContentSize);
