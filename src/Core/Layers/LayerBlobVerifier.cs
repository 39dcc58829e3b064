using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using TinyImage.Core.Oci;

namespace TinyImage.Core.Layers;

/// <summary>
/// Checks that a compressed layer blob is the layer it is stored as: its bytes hash to the recorded digest, and it
/// decompresses to exactly the tar of <see cref="LayerContent"/> (its diff_id and size). One streaming pass with a
/// fixed buffer; decompression stops as soon as the output exceeds the expected size, so a blob that expands without
/// end (a "zip bomb") costs no more than the real layer would.
/// </summary>
internal static class LayerBlobVerifier
{
    private const int BufferSize = 128 * 1024;

    /// <summary>Whether <paramref name="blob"/> (read from its start to its end) is <paramref name="content"/> compressed with <paramref name="compression"/>, with digest <paramref name="digest"/>.</summary>
    /// <exception cref="IOException">The blob cannot be read.</exception>
    public static async Task<bool> MatchesAsync(Stream blob, LayerCompression compression, Digest digest, LayerContent content, CancellationToken cancellationToken)
    {
        using var compressed = new HashingStream(blob);
        using var uncompressed = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long total = 0;
            var decompressor = compression == LayerCompression.Zstd
                ? (Stream)new ZstdNet.DecompressionStream(compressed)
                : new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            try
            {
                await using (decompressor.ConfigureAwait(false))
                {
                    int read;
                    while ((read = await decompressor.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        total += read;
                        if (total > content.UncompressedSize) return false;
                        uncompressed.AppendData(buffer, 0, read);
                    }
                }
            }
            catch (Exception e) when (e is InvalidDataException or ZstdNet.ZstdException)
            {
                return false;
            }
            // Bytes after the end of the compressed stream are part of the blob, so part of its digest.
            while (await compressed.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false) > 0) { }
            return total == content.UncompressedSize
                   && Digest.FromHash(uncompressed.GetHashAndReset()) == content.DiffId
                   && compressed.GetDigest() == digest;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
