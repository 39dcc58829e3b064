namespace TinyImage.Core.FileSystem;

/// <summary>
/// A read-only view of another stream that a subclass watches by overriding <see cref="Read(Span{byte})"/> (to count,
/// to stop at cancellation): seeking and the length are the inner stream's; disposing it disposes the inner stream.
/// </summary>
internal abstract class ReadingStream(Stream inner) : Stream
{
    /// <summary>The stream read from.</summary>
    protected Stream Inner => inner;

    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
