using System.Collections.Immutable;

namespace TinyImage.Core.Oci;

/// <summary>
/// A reference to a piece of content: its media type, digest and size in bytes, plus optional annotations.
/// </summary>
/// <remarks>See https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md.</remarks>
public readonly record struct Descriptor
{
    private readonly ImmutableSortedDictionary<string, string>? _annotations;

    public Descriptor(string mediaType, Digest digest, long size)
    {
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        MediaType = mediaType;
        Digest = digest;
        Size = size;
    }

    public string MediaType { get; init; }

    public Digest Digest { get; init; }

    /// <summary>Size of the content in bytes (for a layer: of the compressed blob).</summary>
    public long Size { get; init; }

    /// <summary>Optional annotations, always kept in ordinal key order so that the JSON is deterministic.</summary>
    public ImmutableSortedDictionary<string, string>? Annotations
    {
        get => _annotations;
        init => _annotations = value?.WithComparers(StringComparer.Ordinal, StringComparer.Ordinal);
    }
}
