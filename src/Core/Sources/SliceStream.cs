namespace TinyImage.Core.Sources;

/// <summary>A read-only window [offset, offset+length) of another stream, which it owns.</summary>
internal sealed class SliceStream(Stream inner, long offset, long length) : Stream
{
    private long _position;

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
        var remaining = length - _position;
        if (remaining <= 0) return 0;
        if (buffer.Length > remaining) buffer = buffer[..(int)remaining];
        inner.Position = offset + _position;
        var read = inner.Read(buffer);
        _position += read;
        return read;
    }

    public override long Seek(long delta, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => delta,
        SeekOrigin.Current => _position + delta,
        _ => length + delta,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
