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
    /// The compression level: Fastest, Optimal (the default) or SmallestSize. For <see cref="LayerCompression.Gzip"/>
    /// they are SharpCompress's levels 1/4/9, for <see cref="LayerCompression.GzipFast"/> zlib-ng's 1/6/9, for zstd
    /// 1/3/19. Optimal is level 4 for the pinned gzip because there it is as small as zlib-ng's level 6 at twice the
    /// speed of its own level 6 (bench/deflate.sh, bench/README.md).
    /// </summary>
    public CompressionLevel CompressionLevel { get; init; } = CompressionLevel.Optimal;

    /// <summary>gzip (the default), zstd, or gzip from the runtime's zlib-ng.</summary>
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// <summary>The zlib level of the pinned gzip (<see cref="PinnedGzipStream"/>) for <see cref="CompressionLevel"/>.</summary>
    internal int GzipLevel => CompressionLevel switch
    {
        CompressionLevel.Fastest => 1,
        CompressionLevel.SmallestSize => 9,
        CompressionLevel.NoCompression => 0,
        _ => 4,
    };

    /// <summary>The zstd level for <see cref="CompressionLevel"/>.</summary>
    internal int ZstdLevel => CompressionLevel switch
    {
        CompressionLevel.Fastest => 1,
        CompressionLevel.SmallestSize => 19,
        CompressionLevel.NoCompression => 1,
        _ => 3,
    };

    /// <summary>
    /// Names the compressor that makes the blob bytes: format, level and the implementation's version (the
    /// SharpCompress package's deflate for gzip, the .NET runtime's zlib-ng for gzip-fast, the ZstdNet package's libzstd
    /// for zstd). Equal names give equal blobs for equal tars, which is what lets <see cref="LayerCache"/> key
    /// compressed blobs by diff_id.
    /// </summary>
    public string CompressorName => Compression switch
    {
        LayerCompression.Zstd => $"zstd-{ZstdLevel}-zstdnet{ZstdNetVersion()}",
        LayerCompression.GzipFast => $"gzip-{CompressionLevel.ToString().ToLowerInvariant()}-dotnet{Environment.Version}",
        _ => $"gzip-{GzipLevel}-sharpcompress{SharpCompressVersion()}",
    };

    // One method each: a method naming both libraries' types loads both assemblies when it is first called.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Version? ZstdNetVersion() => typeof(ZstdNet.CompressionStream).Assembly.GetName().Version;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Version? SharpCompressVersion() => typeof(SharpCompress.Compressors.Deflate.DeflateStream).Assembly.GetName().Version;
}
