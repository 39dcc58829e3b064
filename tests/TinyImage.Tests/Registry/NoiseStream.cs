using TinyImage.Core.Oci;
using TinyImage.Core.Registry;

namespace TinyImage.Tests.Registry;

/// <summary>
/// A seekable stream of <see cref="Length"/> pseudo-random bytes, each a function of the seed and its position, so a blob
/// of any size needs no memory and reopening it gives the same bytes. Counts the bytes read from it (not skipped).
/// </summary>
public sealed class NoiseStream(int seed, long length, Action<int>? onRead = null) : Stream
{
    private long _position;

    /// <summary>A blob of <paramref name="size"/> noise bytes; <paramref name="onRead"/> sees every read from any of its opened streams.</summary>
    public static RegistryBlob Blob(int seed, long size, Action<int>? onRead = null)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        using (var stream = new NoiseStream(seed, size))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
        }
        var descriptor = new Descriptor(MediaTypes.LayerGzip, Digest.FromHash(hash.GetHashAndReset()), size);
        return new RegistryBlob(descriptor, _ => Task.FromResult<Stream>(new NoiseStream(seed, size, onRead)));
    }

    /// <summary>All bytes of a noise blob (for comparing what was pulled back).</summary>
    public static byte[] Bytes(int seed, int size)
    {
        var bytes = new byte[size];
        new NoiseStream(seed, size).ReadExactly(bytes);
        return bytes;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < n; i++) buffer[i] = At(_position + i);
        _position += n;
        onRead?.Invoke(n);
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>The byte at <paramref name="position"/>: a splitmix64 of the seed and the position's 8-byte word.</summary>
    private byte At(long position)
    {
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)(position >> 3) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (byte)(z >> (int)((position & 7) * 8));
    }
}
