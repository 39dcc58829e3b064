using TinyImage.Core.FileSystem;

namespace TinyImage.Core.Layers;

/// <summary>
/// Reads a host file for a tar entry whose size was fixed when the file was opened. A tar header states the
/// size before the data, so a file that grows or shrinks while it is read would corrupt the layer: this
/// stream turns that into a <see cref="TinyImageException"/> instead.
/// </summary>
internal sealed class SourceFileStream : Stream
{
    private readonly FileStream _file;
    private readonly string _sourcePath;
    private readonly string _imagePath;
    private readonly long _length;
    private long _position;

    private SourceFileStream(FileStream file, string sourcePath, string imagePath)
    {
        _file = file;
        _sourcePath = sourcePath; // a stream opened from a handle names itself "[Unknown]"
        _imagePath = imagePath;
        _length = file.Length;
    }

    /// <summary>Opens <paramref name="sourcePath"/> for sequential reading; user errors become a <see cref="TinyImageException"/>.</summary>
    public static SourceFileStream Open(string sourcePath, string imagePath, int bufferSize)
    {
        try
        {
            // Only a regular file, never through a final symlink, never blocking on a FIFO: a file swapped for something
            // else after the build looked at it is refused here. bufferSize 0: the tar writer already reads in large chunks.
            var file = RegularFile.OpenRead(sourcePath, bufferSize);
            return new SourceFileStream(file, sourcePath, imagePath);
        }
        catch (TinyImageException e)
        {
            throw new TinyImageException($"cannot read '{sourcePath}' for '{imagePath}' in the image: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TinyImageException(
                $"cannot read '{sourcePath}' for '{imagePath}' in the image: {e.Message} Check that the file exists and is readable.", e);
        }
    }

    public override bool CanRead => true;

    // Seekable so that TarWriter takes the size from Length/Position; it never calls Seek.
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = (int)Math.Min(buffer.Length, _length - _position);
        if (wanted == 0) { CheckAtEnd(buffer.Length == 0 ? 0 : _file.Read(buffer[..1])); return 0; }
        var read = _file.Read(buffer[..wanted]);
        return Advance(read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var wanted = (int)Math.Min(buffer.Length, _length - _position);
        if (wanted == 0)
        {
            CheckAtEnd(buffer.Length == 0 ? 0 : await _file.ReadAsync(buffer[..1], cancellationToken).ConfigureAwait(false));
            return 0;
        }
        var read = await _file.ReadAsync(buffer[..wanted], cancellationToken).ConfigureAwait(false);
        return Advance(read);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _file.DisposeAsync();
    }

    private int Advance(int read)
    {
        if (read == 0)
            throw new TinyImageException(
                $"'{_sourcePath}' (for '{_imagePath}' in the image) shrank from {_length} to {_position} bytes while it was read; do not change input files during a build.");
        _position += read;
        return read;
    }

    private void CheckAtEnd(int extra)
    {
        if (extra > 0)
            throw new TinyImageException(
                $"'{_sourcePath}' (for '{_imagePath}' in the image) grew beyond {_length} bytes while it was read; do not change input files during a build.");
    }
}
