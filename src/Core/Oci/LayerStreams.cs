using System.IO.Compression;

namespace TinyImage.Core.Oci;

/// <summary>Undoes a layer blob's compression, by its media type.</summary>
public static class LayerStreams
{
    /// <summary>The tar in <paramref name="blob"/> (gzip or zstd undone; a plain tar as it is); disposing the result disposes <paramref name="blob"/>.</summary>
    public static Stream Decompress(Stream blob, string mediaType)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (mediaType.EndsWith("+gzip", StringComparison.Ordinal) || mediaType.EndsWith(".tar.gzip", StringComparison.Ordinal))
            return new GZipStream(blob, CompressionMode.Decompress);
        if (mediaType.EndsWith("+zstd", StringComparison.Ordinal) || mediaType.EndsWith(".tar.zstd", StringComparison.Ordinal))
            return new ZstdNet.DecompressionStream(blob);
        return blob;
    }
}
