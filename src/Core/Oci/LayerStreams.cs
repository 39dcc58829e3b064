using System.IO.Compression;

namespace TinyImage.Core.Oci;

/// <summary>Undoes a layer blob's compression, by its media type; tells a blob's compression by its first bytes.</summary>
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

    /// <summary>The OCI media type of a layer blob that starts with <paramref name="magic"/> (its first 4 bytes, or all it has): gzip, zstd or a plain tar.</summary>
    public static string MediaTypeOf(ReadOnlySpan<byte> magic) =>
        magic.Length >= 2 && magic[0] == 0x1f && magic[1] == 0x8b ? MediaTypes.LayerGzip
        : magic.Length >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd ? MediaTypes.LayerZstd
        : MediaTypes.LayerTar;
}
