using System.IO.Compression;

namespace TinyImage.Core.Layers;

/// <summary>How <see cref="LayerWriter"/> writes a layer.</summary>
public sealed record LayerOptions
{
    /// <summary>
    /// The mtime of every tar entry; whole seconds, at or after the Unix epoch. Defaults to the epoch, so that
    /// a layer depends only on its entries. A caller honouring <c>SOURCE_DATE_EPOCH</c> sets it here.
    /// </summary>
    public DateTimeOffset ModificationTime { get; init; } = DateTimeOffset.UnixEpoch;

    /// <summary>
    /// The gzip level. <see cref="CompressionLevel.Optimal"/> (zlib level 6): on 6.4 MB of glibc/bash/libstdc++
    /// it wrote 44% of the input in ~110 ms, against 55% in ~50 ms for Fastest and 43% in ~340 ms for SmallestSize.
    /// </summary>
    public CompressionLevel CompressionLevel { get; init; } = CompressionLevel.Optimal;
}
