using System.Text;

namespace TinyImage.Runner;

/// <summary>
/// One output stream of a test container, taken in as it comes, in memory bounded whatever its length: whether it
/// equals an expected text (compared as <c>tinyrun test</c> compares: without trailing white space) or contains one,
/// decided as the text goes by; and its first and last characters, to show in a report.
/// </summary>
internal sealed class ContainerOutput : Stream
{
    /// <summary>How many characters from the start are kept for the report.</summary>
    public const int HeadLength = 4 * 1024;

    /// <summary>How many characters from the end are kept for the report.</summary>
    public const int TailLength = 16 * 1024;

    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly char[] _chars = new char[Encoding.UTF8.GetMaxCharCount(64 * 1024)];
    private readonly string? _exact;
    private readonly string? _part;
    private readonly StringBuilder _head = new();
    private readonly StringBuilder _tail = new();
    private int _exactMatched;
    private bool _exactFailed;
    private string _partCarry = "";
    private bool _partFound;

    /// <param name="expected">The exact output expected (trailing white space aside), or null.</param>
    /// <param name="expectedPart">Text the output must contain, or null.</param>
    public ContainerOutput(string? expected = null, string? expectedPart = null)
    {
        _exact = expected?.TrimEnd();
        _part = expectedPart;
        _partFound = expectedPart is "";
    }

    /// <summary>How many characters there were in all.</summary>
    public long CharacterCount { get; private set; }

    /// <summary>Whether the output, without trailing white space, is the expected text without it.</summary>
    public bool IsExpected => _exact is not null && !_exactFailed && _exactMatched == _exact.Length;

    /// <summary>Whether the output contains the expected part.</summary>
    public bool ContainsExpectedPart => _partFound;

    /// <summary>The output without trailing white space when it was short; else its first and last characters with a line saying how many are left out.</summary>
    public string Shown => CharacterCount <= HeadLength + _tail.Length
        ? (_head.ToString() + _tail).TrimEnd()
        : Gap(_head.ToString(), CharacterCount - HeadLength - _tail.Length, _tail.ToString().TrimEnd());

    /// <summary>A text as <see cref="Shown"/> shows an output: whole when short, else its first and last characters.</summary>
    public static string Abbreviate(string text) => text.Length <= HeadLength + TailLength
        ? text
        : Gap(text[..HeadLength], text.Length - HeadLength - TailLength, text[^TailLength..]);

    private static string Gap(string head, long left, string tail) => $"{head}\n... ({left} characters not shown) ...\n{tail}";

    /// <summary>Takes in the last bytes a decoder may still hold; call when the output has ended.</summary>
    public void Complete()
    {
        var count = _decoder.GetChars([], _chars, flush: true);
        Take(_chars.AsSpan(0, count));
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var bytes = buffer[..Math.Min(buffer.Length, 64 * 1024)];
            var count = _decoder.GetChars(bytes, _chars, flush: false);
            Take(_chars.AsSpan(0, count));
            buffer = buffer[bytes.Length..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private void Take(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty) return;
        CompareExact(chars);
        SearchPart(chars);
        var toHead = (int)Math.Clamp(HeadLength - CharacterCount, 0, chars.Length);
        _head.Append(chars[..toHead]);
        _tail.Append(chars[toHead..]);
        if (_tail.Length > 2 * TailLength) _tail.Remove(0, _tail.Length - TailLength);
        CharacterCount += chars.Length;
    }

    private void CompareExact(ReadOnlySpan<char> chars)
    {
        if (_exact is null || _exactFailed) return;
        foreach (var c in chars)
        {
            if (_exactMatched < _exact.Length ? c != _exact[_exactMatched++] : !char.IsWhiteSpace(c))
            {
                _exactFailed = true;
                return;
            }
        }
    }

    /// <summary>Looks for the part in what came before (its last part-length-minus-one characters) and these characters.</summary>
    private void SearchPart(ReadOnlySpan<char> chars)
    {
        if (_part is null || _partFound) return;
        var window = string.Concat(_partCarry, chars);
        _partFound = window.Contains(_part, StringComparison.Ordinal);
        _partCarry = window[Math.Max(0, window.Length - (_part.Length - 1))..];
    }
}
