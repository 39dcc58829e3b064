using System.Text;

namespace TinyImage.Core.Debian;

/// <summary>
/// Reads deb822 control data (a Packages index, a Release file, an apt <c>.sources</c> file, a .deb's
/// <c>control</c>, a lock file) from a stream, handing each field to a <see cref="IControlFieldSink"/> as byte
/// spans, so a 50 MB Packages index is parsed without one string per line. Bounded: a stanza longer than
/// <see cref="MaxStanzaBytes"/> is an error.
/// </summary>
/// <remarks>
/// Rules of deb822(5): stanzas are separated by lines that are empty or hold only spaces and tabs; a field is
/// <c>Name: value</c> at the start of a line, continued by lines that start with a space or a tab; lines that start
/// with '#' are comments; a CR before a LF is dropped. Field names are case-insensitive and appear once per stanza.
/// </remarks>
internal static class ControlFileReader
{
    /// <summary>The longest stanza read (bookworm's longest Packages stanza is about 30 KiB).</summary>
    public const int MaxStanzaBytes = 4 << 20;

    private const int ChunkBytes = 1 << 20;

    /// <summary>Reads every stanza of <paramref name="input"/> into <paramref name="sink"/>.</summary>
    /// <param name="sourceName">Names the input in errors (a file name or a URL).</param>
    /// <exception cref="TinyImageException">A malformed line or an overlong stanza, with its line number.</exception>
    public static void Read(Stream input, string sourceName, IControlFieldSink sink)
    {
        var buffer = new byte[ChunkBytes];
        var length = 0;          // valid bytes in buffer
        var position = 0;        // start of the next unread line
        var stanzaStart = 0;     // start of the current stanza's first line, or position when between stanzas
        var inStanza = false;
        var stanzaLine = 0;
        var line = 0;
        var eof = false;
        // The pending field: offsets into buffer, valid while the stanza stays in the buffer.
        int nameStart = -1, nameEnd = 0, valueStart = 0, valueEnd = 0, fieldLine = 0;

        while (true)
        {
            var newline = buffer.AsSpan(position, length - position).IndexOf((byte)'\n');
            int lineEnd, next;
            if (newline >= 0)
            {
                lineEnd = position + newline;
                next = lineEnd + 1;
            }
            else if (!eof)
            {
                // Need more input: keep the current stanza (or just the partial line) and read on.
                var keep = inStanza ? stanzaStart : position;
                var kept = length - keep;
                if (kept >= MaxStanzaBytes)
                    throw new TinyImageException($"{sourceName}({(inStanza ? stanzaLine : line + 1)}): a stanza longer than {MaxStanzaBytes >> 20} MiB; this is not a control file");
                if (keep > 0)
                {
                    Buffer.BlockCopy(buffer, keep, buffer, 0, kept);
                    if (nameStart >= 0) { nameStart -= keep; nameEnd -= keep; valueStart -= keep; valueEnd -= keep; }
                    position -= keep;
                    stanzaStart -= keep;
                    length = kept;
                }
                if (length == buffer.Length) Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxStanzaBytes + ChunkBytes));
                var read = input.Read(buffer, length, buffer.Length - length);
                if (read == 0) eof = true;
                length += read;
                continue;
            }
            else if (position < length)
            {
                lineEnd = length;
                next = length;
            }
            else
            {
                break;
            }

            line++;
            var contentEnd = lineEnd > position && buffer[lineEnd - 1] == (byte)'\r' ? lineEnd - 1 : lineEnd;
            var text = buffer.AsSpan(position, contentEnd - position);
            if (text.IsEmpty || text.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0)
            {
                if (inStanza)
                {
                    if (nameStart >= 0) Emit();
                    sink.EndStanza(stanzaLine);
                    inStanza = false;
                }
            }
            else if (text[0] == (byte)'#')
            {
                // a comment line; it neither starts nor ends a stanza
            }
            else if (text[0] is (byte)' ' or (byte)'\t')
            {
                if (nameStart < 0)
                    throw new TinyImageException($"{sourceName}({line}): a continuation line (starting with a space) outside a field");
                valueEnd = contentEnd;
            }
            else
            {
                var colon = text.IndexOf((byte)':');
                if (colon <= 0)
                    throw new TinyImageException($"{sourceName}({line}): expected 'Name: value', found '{Preview(text)}'");
                var name = text[..colon];
                if (name[0] == (byte)'-' || name.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0)
                    throw new TinyImageException($"{sourceName}({line}): '{Preview(name)}' is not a field name");
                if (nameStart >= 0) Emit();
                else if (!inStanza)
                {
                    inStanza = true;
                    stanzaStart = position;
                    stanzaLine = line;
                    sink.StartStanza(line);
                }
                nameStart = position;
                nameEnd = position + colon;
                valueStart = position + colon + 1;
                valueEnd = contentEnd;
                fieldLine = line;
            }
            position = next;
            if (!inStanza) stanzaStart = position;
        }
        if (inStanza)
        {
            if (nameStart >= 0) Emit();
            sink.EndStanza(stanzaLine);
        }

        void Emit()
        {
            var value = buffer.AsSpan(valueStart, valueEnd - valueStart).Trim(" \t\r\n"u8);
            sink.Field(buffer.AsSpan(nameStart, nameEnd - nameStart), value, fieldLine);
            nameStart = -1;
        }
    }

    /// <summary>At most 60 characters of a line, for an error message.</summary>
    internal static string Preview(ReadOnlySpan<byte> text)
    {
        var shown = Encoding.UTF8.GetString(text[..Math.Min(text.Length, 60)]);
        var clean = new StringBuilder(shown.Length);
        foreach (var c in shown) clean.Append(char.IsControl(c) ? '?' : c);
        return text.Length > 60 ? clean + "..." : clean.ToString();
    }
}
