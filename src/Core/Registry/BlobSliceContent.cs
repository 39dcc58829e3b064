using System.Buffers;
using System.Net;

namespace TinyImage.Core.Registry;

/// <summary>
/// <paramref name="length"/> bytes of a blob from <paramref name="offset"/>, streamed from a fresh
/// <see cref="RegistryBlob.Open"/> through a 64 KiB buffer: memory does not grow with the blob.
/// </summary>
internal sealed class BlobSliceContent(RegistryBlob blob, long offset, long length, RegistryCounters counters) : HttpContent
{
    private const int BufferSize = 64 * 1024;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var source = await OpenAtOffsetAsync(cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using (source.ConfigureAwait(false))
            {
                var left = length;
                while (left > 0)
                {
                    var read = await ReadSourceAsync(source, buffer.AsMemory(0, (int)Math.Min(BufferSize, left)), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                        throw new BlobSourceException($"blob {blob.Descriptor.Digest} ended {left} bytes before its size of {blob.Descriptor.Size}; it changed after it was written");
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    counters.Uploaded(read);
                    left -= read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long computed)
    {
        computed = length;
        return true;
    }

    private async Task<Stream> OpenAtOffsetAsync(CancellationToken cancellationToken)
    {
        Stream source;
        try
        {
            source = await blob.Open(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BlobSourceException($"cannot read blob {blob.Descriptor.Digest}: {e.Message}", e);
        }
        if (offset == 0) return source;
        if (source.CanSeek)
        {
            source.Seek(offset, SeekOrigin.Begin);
            return source;
        }
        var skip = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            for (var left = offset; left > 0;)
            {
                var read = await ReadSourceAsync(source, skip.AsMemory(0, (int)Math.Min(BufferSize, left)), cancellationToken).ConfigureAwait(false);
                if (read == 0) throw new BlobSourceException($"blob {blob.Descriptor.Digest} is shorter than {offset} bytes; it changed after it was written");
                left -= read;
            }
            return source;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(skip);
        }
    }

    private async Task<int> ReadSourceAsync(Stream source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BlobSourceException($"cannot read blob {blob.Descriptor.Digest}: {e.Message}", e);
        }
    }
}
