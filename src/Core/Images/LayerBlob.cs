using TinyImage.Core.Oci;

namespace TinyImage.Core.Images;

/// <summary>A base image's layer blob, told apart by its first bytes: gzip, zstd or a plain tar.</summary>
internal static class LayerBlob
{
    /// <summary>Opens the blob at <paramref name="path"/> as the tar it holds (undoing gzip or zstd); the caller disposes it.</summary>
    public static async Task<Stream> OpenTarAsync(string path, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 17, FileOptions.SequentialScan);
        try
        {
            var magic = new byte[4];
            var read = await file.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            return LayerStreams.Decompress(file, LayerStreams.MediaTypeOf(magic.AsSpan(0, read)));
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The OCI media type of the blob at <paramref name="path"/>, from its first bytes.</summary>
    public static string MediaTypeOf(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return LayerStreams.MediaTypeOf(magic[..file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false)]);
    }
}
