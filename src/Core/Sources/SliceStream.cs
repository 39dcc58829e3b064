namespace TinyImage.Core.Sources;

/// <summary>A read-only window [offset, offset+length) of another stream, which it owns.</summary>
internal sealed class SliceStream(Stream inner, long offset, long length) : FileSystem.ReadingStream(inner)
{
    private long _position;

    public override bool CanSeek => true;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, length);
    }

    public override int Read(Span<byte> buffer)
    {
        var remaining = length - _position;
        if (remaining <= 0) return 0;
        if (buffer.Length > remaining) buffer = buffer[..(int)remaining];
        Inner.Position = offset + _position;
        var read = Inner.Read(buffer);
        _position += read;
        return read;
    }

    public override long Seek(long delta, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => delta,
        SeekOrigin.Current => _position + delta,
        _ => length + delta,
    };
}
