using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpCompress.Compressors;
using SharpCompress.Compressors.Deflate;

namespace TinyImage.Core.Layers;

/// <summary>
/// Writes one gzip member (RFC 1952) whose deflate is SharpCompress's managed port of zlib, so that its bytes depend
/// only on the SharpCompress version TinyImage is built with: never on the .NET runtime, the machine or its zlib.
/// The header is fixed (no mtime, no name, OS 3 = Unix, XFL as zlib sets it for the level). Write-only; disposing
/// it finishes the member (last deflate block, CRC-32, size) and leaves the destination open.
/// </summary>
internal sealed class PinnedGzipStream : Stream
{
    private readonly Stream _destination;
    private readonly DeflateStream _deflate;
    private readonly CRC32 _crc = new();
    private uint _length;
    private bool _compressedAny;
    private bool _finished;

    /// <param name="destination">Where the member goes; written to at once (the header), left open.</param>
    /// <param name="level">The zlib level, 0 (stored) to 9.</param>
    public PinnedGzipStream(Stream destination, int level)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 9);
        _destination = destination;
        // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS=3; zlib's XFL: 2 for the slowest level, 4 for the fastest ones.
        byte extraFlags = level == 9 ? (byte)2 : level < 2 ? (byte)4 : (byte)0;
        destination.Write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3]);
        // SharpCompress 0.50.8 does not finish the deflate stream on Dispose when leaveOpen is true (the last block
        // is lost), so it is given a destination it may close.
        _deflate = new DeflateStream(new Unclosable(destination), CompressionMode.Compress, (CompressionLevel)level, leaveOpen: false,
            forceEncoding: null!);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_finished;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        ObjectDisposedException.ThrowIf(_finished, this);
        _crc.SlurpBlock(buffer, offset, count);
        _length = unchecked(_length + (uint)count);
        _compressedAny |= count > 0;
        _deflate.Write(buffer, offset, count);
    }

    // Compressing is CPU work: the asynchronous writes compress synchronously, as GZipStream's do.
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (MemoryMarshal.TryGetArray(buffer, out var segment)) Write(segment.Array!, segment.Offset, segment.Count);
        else Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            _finished = true;
            _deflate.Dispose();
            // Given nothing, SharpCompress writes nothing; a deflate stream needs one final block: zlib's empty one.
            if (!_compressedAny) _destination.Write([0x03, 0x00]);
            // CRC-32 and the input size modulo 2^32, little-endian.
            Span<byte> trailer = stackalloc byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(trailer, _crc.Crc32Result);
            BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], _length);
            _destination.Write(trailer);
        }
        base.Dispose(disposing);
    }

    /// <summary>Passes writes on to the destination; closing it leaves the destination open.</summary>
    private sealed class Unclosable(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
