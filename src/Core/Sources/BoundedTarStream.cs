using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace TinyImage.Core.Sources;

/// <summary>
/// A read-only view of a tar stream for <see cref="System.Formats.Tar.TarReader"/> that refuses metadata entries over
/// a limit before the reader takes them in: it reads a GNU long name (<c>L</c>, <c>K</c>) or a PAX header (<c>x</c>,
/// <c>g</c>) whole into memory, so a 400 MB long name, 400 KB once gzipped, cost 2 GB. It follows the headers as the
/// reader reads past them: every entry has a data section of its size (or of the size a PAX header gives it), except
/// links, devices, directories and FIFOs.
/// </summary>
internal sealed class BoundedTarStream(Stream inner, int maxMetadataSize) : FileSystem.ReadingStream(inner)
{
    private const int BlockSize = 512;

    private readonly byte[] _header = new byte[BlockSize];
    private long _position;
    private long _nextHeader;
    private int _headerFilled;
    private MemoryStream? _pax;
    private long _paxEnd;
    private long? _paxSize;

    /// <summary>The most a GNU long name or PAX header may hold: 1 MiB, far above PATH_MAX and any extended attributes.</summary>
    public const int DefaultMaxMetadataSize = 1 << 20;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(Span<byte> buffer)
    {
        var read = Inner.Read(buffer);
        Follow(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Follow(buffer.Span[..read]);
        return read;
    }

    /// <summary>
    /// Moves within what is known to be data: the reader skips the data it was not asked for, and goes back to read an
    /// entry's data when asked for it. Never past the next header, which must be read to be checked.
    /// </summary>
    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Inner.Length + offset,
        };
        if (target < 0 || target > _nextHeader || _headerFilled > 0 || _pax is not null)
            throw new InvalidDataException("the tar reader moved past a header it had not read");
        Inner.Seek(target - _position, SeekOrigin.Current);
        _position = target;
        return target;
    }

    /// <summary>Takes note of bytes the reader read: data to pass over, a header to check, a PAX header to gather.</summary>
    private void Follow(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int taken;
            if (_pax is not null)
            {
                taken = (int)Math.Min(bytes.Length, _paxEnd - _position);
                _pax.Write(bytes[..taken]);
            }
            else if (_position < _nextHeader)
            {
                taken = (int)Math.Min(bytes.Length, _nextHeader - _position);
            }
            else
            {
                taken = Math.Min(bytes.Length, BlockSize - _headerFilled);
                bytes[..taken].CopyTo(_header.AsSpan(_headerFilled));
                _headerFilled += taken;
            }
            bytes = bytes[taken..];
            _position += taken;
            if (_headerFilled == BlockSize)
            {
                _headerFilled = 0;
                CheckHeader();
            }
            if (_pax is not null && _position == _paxEnd) FinishPax();
        }
    }

    private void CheckHeader()
    {
        var start = _position - BlockSize;
        if (!_header.AsSpan().ContainsAnyExcept((byte)0))
        {
            _nextHeader = start + BlockSize; // an end-of-archive block
            return;
        }
        var type = (char)_header[156];
        var size = Size(_header.AsSpan(124, 12));
        var metadata = type is 'L' or 'K' or 'x' or 'g';
        if (metadata && size > maxMetadataSize)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"a tar {(type is 'L' or 'K' ? "long name" : "PAX header")} of {size} bytes; the most read is {maxMetadataSize}"));
        long data = type is '1' or '2' or '3' or '4' or '5' or '6' ? 0 : metadata ? size : _paxSize ?? size;
        if (!metadata) _paxSize = null;
        if (type == 'x' && size > 0)
        {
            _pax = new MemoryStream((int)size);
            _paxEnd = start + BlockSize + size;
        }
        _nextHeader = start + BlockSize + (data + BlockSize - 1) / BlockSize * BlockSize;
    }

    /// <summary>The size a PAX header gives the next entry (a <c>size=</c> record), if any.</summary>
    private void FinishPax()
    {
        foreach (var record in Encoding.UTF8.GetString(_pax!.GetBuffer(), 0, (int)_pax.Length).Split('\n'))
        {
            var equals = record.IndexOf('=', StringComparison.Ordinal);
            var space = record.IndexOf(' ', StringComparison.Ordinal);
            if (space >= 0 && equals > space && record[(space + 1)..equals] == "size" &&
                long.TryParse(record[(equals + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                _paxSize = size;
        }
        _pax = null;
    }

    /// <summary>A header's size field: octal digits, or GNU's base-256 when the first byte has its high bit set.</summary>
    private static long Size(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            if (field[0] == 0xFF || field[1..4].ContainsAnyExcept((byte)0)) return long.MaxValue; // negative, or beyond a long
            var binary = BinaryPrimitives.ReadInt64BigEndian(field[4..]);
            return binary < 0 ? long.MaxValue : binary;
        }
        long value = 0;
        foreach (var b in field.TrimStart((byte)' '))
        {
            if (b is < (byte)'0' or > (byte)'7') break;
            value = value > long.MaxValue / 8 ? long.MaxValue : value * 8 + (b - '0');
        }
        return value;
    }
}
